package io.amiforge.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.store.spi.FileOps;
import io.amiforge.testkit.FaultInjection;
import io.amiforge.testkit.StateSnapshots;
import io.amiforge.testkit.SystemProperties;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Automatic packing ({@link AutoPack}): while snapshots are taken, read and deleted, background
 * packs keep every snapshot identical, bound the chain's data files by log2(depth) plus the
 * threshold, copy each layer O(log depth) times, are off when asked, and when one fails at any
 * file operation it changes nothing, is reported (once, with its snapshot) and the next trigger
 * packs the chain.
 */
class AutoPackTest {

    private static final int THRESHOLD = 4;

    @TempDir
    Path tmp;

    @Test
    void backgroundPacksKeepEverySnapshotAndBoundTheFiles() throws Exception {
        for (long seed = 1; seed <= 3; seed++) {
            Path dir = tmp.resolve("s" + seed);
            Random random = new Random(seed);
            Map<String, byte[]> expected = new LinkedHashMap<>();
            int depth = 40;
            try (SnapshotStore store = SnapshotStore.open(dir, new AutoPack(true, THRESHOLD))) {
                List<String> chain = PackTest.buildChain(store, random, 1);
                expected.putAll(PackTest.contents(store));
                for (int i = 1; i < depth; i++) {
                    PackTest.writeRandom(store, "disk", random, 1 + random.nextInt(6));
                    String id = store.createSnapshot("disk", "layer " + i).id();
                    chain.add(id);
                    try (BlockDevice d = store.openSnapshot(id)) { // read while packs run
                        expected.put(id, PackTest.read(d));
                    }
                    if (i % 9 == 0) { // a delete merges into a child's layer: a pack in progress gives way
                        String gone = chain.remove(1 + random.nextInt(chain.size() - 2));
                        store.deleteSnapshot(gone);
                        expected.remove(gone);
                    }
                }
                store.awaitMaintenance();
                PackTest.assertSame(store, expected, "seed " + seed + " after the automatic packs");
                assertThat(store.maintenanceFailures()).isEmpty();
                VerifyReport report = store.verify();
                assertThat(report.ok()).isTrue();
                assertThat(report.maintenanceFailures()).isEmpty();
                PackStats stats = store.autoPackStats();
                assertThat(stats.packs()).as("packs").isPositive();
                assertThat(stats.choices()).as("choices: at least one per pack").isGreaterThanOrEqualTo(stats.packs());
                assertThat(stats.chooseNanos()).as("time the choices held the journal").isPositive();
                assertThat(stats.commitNanos()).as("time the commits held the journal").isPositive();
                // size tiers: a layer is copied at most log2(depth) + 1 times (each layer holds <= 7 blocks here)
                long bound = (long) (Math.log(depth) / Math.log(2) + 1) * depth * 7 * 4096;
                assertThat(stats.bytesCopied()).as("bytes copied by the packs").isLessThanOrEqualTo(bound);
                // a chain of ~36 small layers: < THRESHOLD unpacked on top, at most log2(depth) + 1 packs, the volume's own layer
                int files = PackTest.dataFiles(dir);
                assertThat(files).as("seed %d: distinct data files", seed)
                        .isLessThanOrEqualTo(THRESHOLD + (int) (Math.log(depth) / Math.log(2)) + 2);
            }
            try (SnapshotStore store = SnapshotStore.open(dir, AutoPack.OFF)) {
                PackTest.assertSame(store, expected, "seed " + seed + " after a reopen");
                assertThat(PackTest.layerIds(dir)).as("no leftover files").isSubsetOf(PackTest.namedLayers(store));
            }
        }
    }

    @Test
    void aSnapshotAnotherBranchBuildsOnIsNotPacked() throws Exception {
        Path dir = tmp.resolve("branch");
        Random random = new Random(3);
        try (SnapshotStore store = SnapshotStore.open(dir, new AutoPack(true, THRESHOLD))) {
            List<String> chain = PackTest.buildChain(store, random, 3);
            store.cloneVolume(chain.get(1), "branch").close(); // snapshots 0 and 1 are shared with the branch
            Map<String, String> sharedLayers = layersOf(store, chain.subList(0, 2));
            snapshotMore(store, random, chain, 2 * THRESHOLD); // triggers packs
            Map<String, byte[]> expected = PackTest.contents(store);
            store.awaitMaintenance();
            assertPackedAboveOnly(store, sharedLayers);
            assertThat(chain.subList(2, chain.size())).as("snapshots above the branch point")
                    .anyMatch(id -> store.catalog.snapshots.get(id).layer.startsWith(LayerPacker.PREFIX));
            PackTest.assertSame(store, expected, "after packing above a branch point");
        }
    }

    @Test
    void aSnapshotOfAnotherBranchMakesABranchPointToo() throws Exception {
        Path dir = tmp.resolve("snapshot-branch");
        Random random = new Random(5);
        try (SnapshotStore store = SnapshotStore.open(dir, new AutoPack(true, THRESHOLD))) {
            List<String> chain = PackTest.buildChain(store, random, 3);
            store.cloneVolume(chain.get(1), "branch").close(); // a snapshot built on chain[1], then its volume goes
            PackTest.writeRandom(store, "branch", random, 2);
            String other = store.createSnapshot("branch", "other branch").id();
            store.deleteVolume("branch");
            Map<String, String> sharedLayers = layersOf(store, chain.subList(0, 2));
            snapshotMore(store, random, chain, 3 * THRESHOLD); // triggers packs
            Map<String, byte[]> expected = PackTest.contents(store);
            store.awaitMaintenance();
            assertPackedAboveOnly(store, sharedLayers);
            assertThat(store.catalog.snapshots.get(other).base).isEqualTo(chain.get(1));
            PackTest.assertSame(store, expected, "after packing above a snapshot branch point");
        }
    }

    @Test
    void theChoiceThroughTheVolumesStackIsTheChoiceThroughTheCatalog() throws Exception {
        Path dir = tmp.resolve("choice");
        Random random = new Random(13);
        try (SnapshotStore store = SnapshotStore.open(dir, AutoPack.OFF);
                Volume disk = store.createVolume("disk", (long) PackTest.BLOCKS * PackTest.BS, VolumeOptions.defaults())) {
            List<String> chain = new ArrayList<>();
            snapshotMore(store, random, chain, 3 * THRESHOLD);
            LayerPacker packer = new LayerPacker(store);
            assertThat(store.pack(chain.get(THRESHOLD)).layers()).as("a pack below the top").isPositive();
            snapshotMore(store, random, chain, 2 * THRESHOLD);
            String cloned = chain.get(2 * THRESHOLD);
            store.cloneVolume(cloned, "branch").close(); // a branch point inside the unpacked run
            snapshotMore(store, random, chain, THRESHOLD);
            for (String top : List.of(chain.getLast(), chain.get(chain.size() - 2), cloned)) {
                LayerPacker.Job viaVolume = store.background(() -> packer.chooseTop(top, "disk", THRESHOLD));
                LayerPacker.Job viaCatalog = store.background(() -> packer.chooseTop(top, "not held", THRESHOLD));
                assertThat(viaVolume != null).as("a pack of %s either way", top).isEqualTo(viaCatalog != null);
                if (viaVolume != null) {
                    assertThat(viaVolume.take).as("the layers chosen for %s", top).containsExactly(viaCatalog.take);
                    assertThat(viaVolume.stack.layers).as("the stack of %s", top).containsExactly(viaCatalog.stack.layers);
                    assertThat(viaVolume.stack.blocks()).isEqualTo(viaCatalog.stack.blocks());
                }
            }
            assertThat(disk.size()).as("held open throughout").isEqualTo((long) PackTest.BLOCKS * PackTest.BS);
        }
    }

    @Test
    void anUnknownPackPriorityFailsTheOpen() {
        SystemProperties.restoring(AutoPacker.PRIORITY_PROPERTY, () -> {
            System.setProperty(AutoPacker.PRIORITY_PROPERTY, "fast");
            assertThatThrownBy(() -> SnapshotStore.open(tmp.resolve("priority")).close()).isInstanceOf(StoreException.class)
                    .hasMessageContaining("amiforge.autoPack.priority=fast: expected low or normal");
        });
    }

    @Test
    void offPacksNothing() throws Exception {
        Path dir = tmp.resolve("off");
        try (SnapshotStore store = SnapshotStore.open(dir, AutoPack.OFF)) {
            PackTest.buildChain(store, new Random(7), 20);
            store.awaitMaintenance();
            assertThat(store.autoPack().enabled()).isFalse();
            assertThat(store.autoPackStats().packs()).isZero();
            assertThat(PackTest.dataFiles(dir)).isGreaterThanOrEqualTo(20);
        }
    }

    @Test
    void failureIsReportedOnceChangesNothingAndTheNextTriggerPacks() throws Exception {
        Path dir = tmp.resolve("fail");
        AtomicBoolean failNextPack = new AtomicBoolean(true);
        FileOps hook = (op, path) -> {
            if (path.getFileName().toString().endsWith(".pack") && failNextPack.compareAndSet(true, false)) {
                throw new IOException("injected: disk full");
            }
        };
        Random random = new Random(11);
        try (SnapshotStore store = SnapshotStore.open(dir, hook, new AutoPack(true, THRESHOLD))) {
            List<String> chain = PackTest.buildChain(store, random, THRESHOLD); // the last snapshot triggers
            store.awaitMaintenance();
            Map<String, byte[]> expected = PackTest.contents(store);
            assertThat(store.maintenanceFailures()).singleElement().asString()
                    .contains(chain.getLast()).contains("injected: disk full").contains("nothing was changed");
            assertThat(store.verify().maintenanceFailures()).hasSize(1);
            assertThat(store.autoPackStats().packs()).isZero();
            assertThat(PackTest.layerIds(dir)).as("the failed pack's files are gone").isSubsetOf(PackTest.namedLayers(store));
            int files = PackTest.dataFiles(dir);
            for (int i = 0; i < THRESHOLD; i++) {
                PackTest.writeRandom(store, "disk", random, 2);
                String id = store.createSnapshot("disk", "more " + i).id();
                try (BlockDevice d = store.openSnapshot(id)) {
                    expected.put(id, PackTest.read(d));
                }
            }
            store.awaitMaintenance();
            assertThat(store.autoPackStats().packs()).as("the next trigger packed").isEqualTo(1);
            assertThat(store.maintenanceFailures()).as("not retried in between").hasSize(1);
            assertThat(PackTest.dataFiles(dir)).isLessThan(files);
            PackTest.assertSame(store, expected, "after the retry");
        }
    }

    /** {@code PackTest.failedPackLeavesOldOrNewAndTheNextPackCleansUp} for an automatic pack: a fault at every file operation. */
    @Test
    void autoPackFailingAtAnyFileOperationLosesNothing() throws Exception {
        Path base = tmp.resolve("base");
        try (SnapshotStore store = SnapshotStore.open(base, AutoPack.OFF)) {
            PackTest.buildChain(store, new Random(42), 6);
        }
        for (int n = 1; ; n++) {
            assertThat(n).as("file operations of one snapshot and its pack").isLessThan(300);
            Path dir = StateSnapshots.copyTree(base, tmp.resolve("n" + n));
            Map<String, byte[]> expected;
            byte[] volume;
            try (SnapshotStore s = SnapshotStore.open(dir, AutoPack.OFF)) {
                PackTest.writeRandom(s, "disk", new Random(n), 3);
                expected = PackTest.contents(s);
                try (Volume v = s.openVolume("disk")) {
                    volume = PackTest.read(v);
                }
            }
            FaultInjection faults = FaultInjection.failNth(n);
            AtomicBoolean armed = new AtomicBoolean(false);
            FileOps hook = (o, path) -> {
                if (armed.get()) {
                    faults.before(o.name(), path);
                }
            };
            // the chain has 6 unpacked small layers; threshold 2: the second new snapshot packs it
            try (SnapshotStore s = SnapshotStore.open(dir, hook, new AutoPack(true, 2))) {
                s.createSnapshot("disk", "first"); // one new small layer: the next one triggers
                armed.set(true);
                try {
                    try (Volume v = s.openVolume("disk")) {
                        v.write(0, PackTest.block(new Random(n + 1000)));
                        v.flush();
                    }
                    s.createSnapshot("disk", "trigger");
                    s.awaitMaintenance();
                } catch (RuntimeException e) {
                    // a fault in the write or the snapshot: the store's own tests cover those
                }
            } catch (RuntimeException e) {
                // a fault at close (its fsyncs)
            }
            if (!faults.fired()) {
                try (SnapshotStore s = SnapshotStore.open(dir, AutoPack.OFF)) {
                    assertThat(PackTest.namedLayers(s)).as("without a fault the chain was packed")
                            .anyMatch(id -> id.startsWith(LayerPacker.PREFIX));
                }
                return;
            }
            String where = "fault at file operation " + n;
            try (SnapshotStore s = SnapshotStore.open(dir, AutoPack.OFF)) {
                Map<String, byte[]> now = PackTest.contents(s);
                for (Map.Entry<String, byte[]> e : expected.entrySet()) {
                    assertThat(now.get(e.getKey())).as(where + ": snapshot " + e.getKey()).isEqualTo(e.getValue());
                }
                for (SnapshotInfo i : s.listSnapshots()) {
                    if (!expected.containsKey(i.id()) && i.description().equals("first")) {
                        assertThat(now.get(i.id())).as(where + ": the new snapshot").isEqualTo(volume);
                    }
                }
                assertThat(s.verify().ok()).as(where + ": verify").isTrue();
                List<String> ids = new ArrayList<>(now.keySet());
                s.pack(ids.getLast()); // sweeps what the failed pack left
                assertThat(PackTest.layerIds(dir)).as(where + ": leftover files after a sweep").isSubsetOf(PackTest.namedLayers(s));
            }
        }
    }

    /**
     * Closing the store while a pack is being written stops the pack without interrupting its
     * thread: an interrupt closes whatever {@code FileChannel} the thread is in, and the pack reads
     * the old layers through their own channels, so a layer not yet fsynced then failed the close's
     * fsync ("fsync: null", seen in CI) and could not be read any more.
     */
    @Test
    void closingTheStoreStopsAPackWithoutInterruptingIt() throws Exception {
        Path dir = tmp.resolve("close");
        CountDownLatch inPack = new CountDownLatch(1);
        CountDownLatch goOn = new CountDownLatch(1);
        AtomicBoolean first = new AtomicBoolean(true);
        AtomicBoolean interrupted = new AtomicBoolean();
        FileOps hook = (op, path) -> {
            if (op == FileOps.Op.WRITE && path.getFileName().toString().endsWith(".pack") && first.compareAndSet(true, false)) {
                inPack.countDown();
                try {
                    goOn.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    interrupted.set(true);
                    Thread.currentThread().interrupt();
                }
            }
        };
        Random random = new Random(17);
        SnapshotStore store = SnapshotStore.open(dir, hook, new AutoPack(true, THRESHOLD));
        PackTest.buildChain(store, random, THRESHOLD); // the last snapshot triggers a pack
        assertThat(inPack.await(20, TimeUnit.SECONDS)).as("a pack started writing").isTrue();
        Map<String, byte[]> expected = PackTest.contents(store);
        AtomicReference<Throwable> closeFailure = new AtomicReference<>();
        Thread closer = Thread.ofPlatform().start(() -> {
            try {
                store.close();
            } catch (Throwable t) {
                closeFailure.set(t);
            }
        });
        Thread.sleep(300); // close has asked the pack to stop and waits for it
        goOn.countDown();
        closer.join(60_000);
        assertThat(closer.isAlive()).as("close returned").isFalse();
        assertThat(interrupted).as("the pack thread was interrupted").isFalse();
        assertThat(closeFailure.get()).as("close failed").isNull();
        try (SnapshotStore again = SnapshotStore.open(dir, AutoPack.OFF)) {
            PackTest.assertSame(again, expected, "after a close during a pack");
            assertThat(again.verify().ok()).as("verify after reopening").isTrue();
        }
    }

    /** The layer each of {@code ids} names now. */
    private static Map<String, String> layersOf(SnapshotStore store, List<String> ids) {
        Map<String, String> layers = new LinkedHashMap<>();
        for (String id : ids) {
            layers.put(id, store.catalog.snapshots.get(id).layer);
        }
        return layers;
    }

    /** Writes and snapshots volume disk {@code n} times, adding the snapshots' ids to {@code chain}. */
    private static void snapshotMore(SnapshotStore store, Random random, List<String> chain, int n) {
        for (int i = 0; i < n; i++) {
            PackTest.writeRandom(store, "disk", random, 2);
            chain.add(store.createSnapshot("disk", "more " + i).id());
        }
    }

    /** Packs ran, and the snapshots of {@code sharedLayers} (at and below a branch point) still name the same layers. */
    private static void assertPackedAboveOnly(SnapshotStore store, Map<String, String> sharedLayers) {
        assertThat(store.autoPackStats().packs()).as("packs above the branch point").isPositive();
        sharedLayers.forEach((id, layer) -> assertThat(store.catalog.snapshots.get(id).layer).as(id).isEqualTo(layer));
    }
}
