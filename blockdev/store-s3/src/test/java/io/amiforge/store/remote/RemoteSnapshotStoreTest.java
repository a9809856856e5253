package io.amiforge.store.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.Volume;
import io.amiforge.store.VolumeOptions;
import io.amiforge.store.objects.MemoryObjectStore;
import io.amiforge.store.objects.ObjectInfo;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The remote tier on {@link MemoryObjectStore}: publishing, lazy reads, verify, gc, deletion, clones on another host. */
class RemoteSnapshotStoreTest {

    private static final long SIZE = 16L << 20;
    private static final RemoteOptions SMALL = new RemoteOptions(64L << 20, 64 << 10, 16);

    @TempDir
    Path dir;

    private final MemoryObjectStore objects = new MemoryObjectStore();

    private RemoteSnapshotStore open(String host) {
        return RemoteSnapshotStore.open(objects, dir.resolve(host), SMALL);
    }

    @Test
    void aSnapshotBecomesOnePackedObjectThatReadsAsTheLocalSnapshot() {
        try (RemoteSnapshotStore store = open("a"); Volume v = store.local().createVolume("root", SIZE, VolumeOptions.defaults())) {
            Devices.scribble(v, new Random(1), 300);
            SnapshotInfo s = store.createSnapshot("root", "first");

            List<ObjectInfo> layers = objects.list(RemoteSnapshotStore.LAYERS);
            assertThat(layers).extracting(ObjectInfo::key).containsExactly("layers/" + s.id() + ".pack");
            assertThat(store.listSnapshots()).extracting(SnapshotInfo::id).containsExactly(s.id());
            assertThat(s.blockCount()).isEqualTo(store.local().snapshot(s.id()).blockCount());
            ByteBuffer magic = ByteBuffer.allocate(8);
            objects.read(layers.get(0).key(), 0, magic);
            assertThat(new String(magic.array(), java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("AMIPACK1");
            try (BlockDevice local = store.local().openSnapshot(s.id()); BlockDevice remote = store.openSnapshot(s.id())) {
                Devices.assertSameContents(local, remote);
            }
            assertThat(store.verify().clean()).isTrue();
        }
    }

    @Test
    void aColdCacheReadsA64DeepChainAsTheLocalStoreDoes() {
        List<String> ids = new ArrayList<>();
        Random random = new Random(64);
        try (RemoteSnapshotStore a = open("a"); Volume v = a.local().createVolume("deep", SIZE, VolumeOptions.defaults())) {
            for (int i = 0; i < 64; i++) {
                Devices.scribble(v, random, 40);
                ids.add(a.createSnapshot("deep", "layer " + i).id());
            }
            try (RemoteSnapshotStore b = open("b")) {
                assertThat(b.cacheStats().misses()).isZero();
                for (String id : List.of(ids.get(0), ids.get(31), ids.get(63))) {
                    try (BlockDevice local = a.local().openSnapshot(id); BlockDevice remote = b.openSnapshot(id)) {
                        Devices.assertSameContents(local, remote);
                    }
                }
                assertThat(b.cacheStats().misses()).isPositive();
                SnapshotInfo top = b.snapshot(ids.get(63));
                assertThat(top.parentId()).isEqualTo(ids.get(62));
                // another host clones the chain: it is copied into b's local store once and reads the same
                try (Volume clone = b.cloneVolume(ids.get(63), "web"); BlockDevice local = a.local().openSnapshot(ids.get(63))) {
                    Devices.assertSameContents(local, clone);
                }
                assertThat(b.local().listSnapshots()).hasSize(64);
            }
        }
    }

    @Test
    void twoHandlesCommitting200SnapshotsEachAtOnceLoseNoCommit() throws Exception {
        int n = 200;
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        Map<String, List<String>> taken = new java.util.concurrent.ConcurrentHashMap<>();
        for (String host : List.of("h1", "h2")) {
            threads.add(Thread.ofPlatform().start(() -> {
                try (RemoteSnapshotStore store = open(host);
                        Volume v = store.local().createVolume("vol-" + host, 1L << 20, VolumeOptions.defaults())) {
                    Random random = new Random(host.hashCode());
                    List<String> mine = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        Devices.scribble(v, random, 2);
                        mine.add(store.createSnapshot("vol-" + host, host + " " + i).id());
                    }
                    taken.put(host, mine);
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(failures).isEmpty();
        try (RemoteSnapshotStore reader = open("reader")) {
            List<SnapshotInfo> all = reader.listSnapshots();
            assertThat(all).hasSize(2 * n);
            Map<String, List<SnapshotInfo>> byVolume = all.stream().collect(Collectors.groupingBy(SnapshotInfo::volumeName));
            for (String host : List.of("h1", "h2")) {
                List<SnapshotInfo> chain = byVolume.get("vol-" + host);
                assertThat(chain).extracting(SnapshotInfo::id).containsExactlyElementsOf(taken.get(host));
                for (int i = 1; i < chain.size(); i++) {
                    assertThat(chain.get(i).parentId()).isEqualTo(chain.get(i - 1).id());
                }
            }
            assertThat(objects.list(RemoteCatalog.MANIFESTS)).hasSize(2 * n);
            assertThat(objects.list(RemoteCatalog.CHECKPOINTS)).hasSize(2 * n / SMALL.checkpointEvery());
            assertThat(reader.gc(Duration.ZERO).deleted()).hasSize(2 * n / SMALL.checkpointEvery() - 2)
                    .allSatisfy(key -> assertThat(key).startsWith(RemoteCatalog.CHECKPOINTS));
            try (RemoteSnapshotStore late = open("late")) {
                assertThat(late.listSnapshots()).isEqualTo(all);
            }
        }
    }

    @Test
    void aFailureAnywhereInSnapshotCreateLeavesNoVisibleSnapshotAndGcRemovesWhatIsLeft() {
        for (MemoryObjectStore.Fault mode : MemoryObjectStore.Fault.values()) {
            for (int good = 0; ; good++) {
                MemoryObjectStore store = new MemoryObjectStore();
                Path host = dir.resolve(mode + "-" + good);
                boolean failed;
                try (RemoteSnapshotStore a = RemoteSnapshotStore.open(store, host, SMALL);
                        Volume v = a.local().createVolume("root", SIZE, VolumeOptions.defaults())) {
                    Devices.scribble(v, new Random(good), 50);
                    SnapshotInfo base = a.createSnapshot("root", "base");
                    Devices.scribble(v, new Random(good + 1000), 50);
                    store.failRequests(good, 1, mode);
                    try {
                        a.createSnapshot("root", "second");
                        failed = false;
                    } catch (AmiforgeException e) {
                        failed = true;
                    }
                    store.failRequests(0, 0, mode);
                    if (failed) {
                        assertThat(a.listSnapshots()).extracting(SnapshotInfo::id).containsExactly(base.id());
                        assertThat(a.local().listSnapshots()).extracting(SnapshotInfo::id).containsExactly(base.id());
                        GcReport gc = a.gc(Duration.ZERO);
                        assertThat(store.pendingUploads()).isZero();
                        assertThat(store.list(RemoteSnapshotStore.LAYERS)).extracting(ObjectInfo::key)
                                .containsExactly("layers/" + base.id() + ".pack");
                        assertThat(gc.deleted().size() + gc.abortedUploads()).isLessThanOrEqualTo(1);
                        // the volume kept its data and a retry succeeds
                        SnapshotInfo again = a.createSnapshot("root", "retry");
                        try (BlockDevice local = a.local().openSnapshot(again.id()); BlockDevice remote = a.openSnapshot(again.id())) {
                            Devices.assertSameContents(v, remote);
                            Devices.assertSameContents(local, remote);
                        }
                    }
                    assertThat(a.verify().clean()).isTrue();
                }
                if (!failed) {
                    assertThat(good).as("some request of a snapshot create failed for mode %s", mode).isGreaterThan(2);
                    break;
                }
            }
        }
    }

    @Test
    void aCorruptedByteIsNamedByVerifyAndFailsReadsWithCorruptData() {
        String id;
        long dataAt;
        try (RemoteSnapshotStore a = open("a"); Volume v = a.local().createVolume("root", SIZE, VolumeOptions.defaults())) {
            Devices.scribble(v, new Random(7), 100);
            id = a.createSnapshot("root", "s").id();
        }
        String key = "layers/" + id + ".pack";
        ByteBuffer header = ByteBuffer.allocate(PackFormat.HEADER).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        objects.read(key, 0, header);
        dataAt = header.getLong(40); // the first data block
        objects.corrupt(key, dataAt + 5);
        try (RemoteSnapshotStore b = open("b")) {
            RemoteVerifyReport report = b.verify();
            assertThat(report.clean()).isFalse();
            assertThat(report.damage()).anySatisfy(line -> assertThat(line).contains(key).contains("byte offset " + dataAt));
            assertThat(report.damage()).anySatisfy(line -> assertThat(line).contains(key).contains("whole-object checksum"));
            try (BlockDevice remote = b.openSnapshot(id)) {
                assertThatThrownBy(() -> readAll(remote))
                        .isInstanceOfSatisfying(AmiforgeException.class, e -> assertThat(e.code()).isEqualTo("CorruptData"))
                        .hasMessageContaining(key).hasMessageContaining("byte offset " + dataAt);
            }
        }
        objects.corrupt(key, dataAt + 5); // repaired
        objects.corrupt(key, PackFormat.HEADER + 3); // now the index
        try (RemoteSnapshotStore c = open("c")) {
            assertThat(c.verify().damage()).anySatisfy(line -> assertThat(line).contains(key).contains("byte " + PackFormat.HEADER));
            assertThatThrownBy(() -> c.openSnapshot(id)).isInstanceOfSatisfying(AmiforgeException.class,
                    e -> assertThat(e.code()).isEqualTo("CorruptData")).hasMessageContaining(key);
        }
    }

    @Test
    void readsDuringAnOutageFailWithAClearErrorAndWorkAgainAfterIt() {
        try (RemoteSnapshotStore a = open("a"); Volume v = a.local().createVolume("root", SIZE, VolumeOptions.defaults())) {
            Devices.scribble(v, new Random(21), 500);
            String id = a.createSnapshot("root", "s").id();
            try (RemoteSnapshotStore b = open("b"); BlockDevice remote = b.openSnapshot(id); BlockDevice local = a.local().openSnapshot(id)) {
                objects.failRequests(3, 1000, MemoryObjectStore.Fault.FAIL); // the gateway goes away after three more requests
                assertThatThrownBy(() -> readAll(remote)).isInstanceOfSatisfying(AmiforgeException.class,
                        e -> assertThat(e.code()).isEqualTo("ObjectStoreUnavailable")).hasMessageContaining("layers/" + id + ".pack");
                objects.failRequests(0, 0, MemoryObjectStore.Fault.FAIL); // and comes back
                Devices.assertSameContents(local, remote);
            }
        }
    }

    private static void readAll(BlockDevice device) {
        MemorySegment buf = MemorySegment.ofArray(new byte[1 << 20]);
        for (long pos = 0; pos < device.size(); pos += buf.byteSize()) {
            device.read(pos, buf);
        }
    }

    @Test
    void theCacheStaysWithinItsBound() {
        RemoteOptions tiny = new RemoteOptions(256 << 10, 64 << 10, 16);
        try (RemoteSnapshotStore a = open("a"); Volume v = a.local().createVolume("root", SIZE, VolumeOptions.defaults())) {
            Devices.scribble(v, new Random(3), 2000);
            String id = a.createSnapshot("root", "s").id();
            try (RemoteSnapshotStore b = RemoteSnapshotStore.open(objects, dir.resolve("b"), tiny);
                    BlockDevice local = a.local().openSnapshot(id); BlockDevice remote = b.openSnapshot(id)) {
                Devices.assertSameContents(local, remote);
                RemoteSnapshotStore.CacheStats stats = b.cacheStats();
                assertThat(stats.capacity()).isEqualTo(256 << 10);
                assertThat(stats.bytesHeld()).isLessThanOrEqualTo(stats.capacity());
                assertThat(stats.evictions()).isPositive();
                assertThat(stats.fetchedBytes()).isGreaterThan(stats.capacity());
            }
        }
    }

    @Test
    void deletingASnapshotInTheMiddleKeepsWhatItsChildrenReadAndGcDropsTheOldObjects() {
        try (RemoteSnapshotStore a = open("a"); Volume v = a.local().createVolume("root", SIZE, VolumeOptions.defaults())) {
            Random random = new Random(11);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Devices.scribble(v, random, 200);
                ids.add(a.createSnapshot("root", "s" + i).id());
            }
            try (RemoteSnapshotStore b = open("b")) {
                Map<String, byte[]> before = new java.util.HashMap<>();
                for (String id : ids) {
                    before.put(id, digest(b, id));
                }
                b.deleteSnapshot(ids.get(1));
                assertThat(b.listSnapshots()).extracting(SnapshotInfo::id).containsExactly(ids.get(0), ids.get(2), ids.get(3));
                assertThat(b.snapshot(ids.get(2)).parentId()).isEqualTo(ids.get(0));
                try (RemoteSnapshotStore c = open("c")) {
                    for (String id : List.of(ids.get(0), ids.get(2), ids.get(3))) {
                        assertThat(digest(c, id)).as(id).isEqualTo(before.get(id));
                    }
                }
                GcReport gc = b.gc(Duration.ZERO);
                assertThat(gc.deleted()).containsExactlyInAnyOrder("layers/" + ids.get(1) + ".pack", "layers/" + ids.get(2) + ".pack");
                assertThat(b.verify().clean()).isTrue();
                assertThat(b.verify().unreferenced()).isEmpty();
                assertThatThrownBy(() -> b.snapshot(ids.get(1))).isInstanceOfSatisfying(AmiforgeException.class,
                        e -> assertThat(e.code()).isEqualTo("InvalidSnapshot.NotFound"));
            }
            // the host that made them goes on: its next snapshot's parent is the newest one
            Devices.scribble(v, random, 10);
            SnapshotInfo next = a.createSnapshot("root", "after");
            assertThat(next.parentId()).isEqualTo(ids.get(3));
        }
    }

    private static byte[] digest(RemoteSnapshotStore store, String id) {
        try (BlockDevice d = store.openSnapshot(id)) {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            for (long pos = 0; pos < d.size(); pos += buf.length) {
                d.read(pos, MemorySegment.ofArray(buf));
                md.update(buf);
            }
            return md.digest();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
