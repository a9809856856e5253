package io.amiforge.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.store.spi.FileOps;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A flush after many snapshots (one new layer each, none synced yet) fsyncs every layer's data
 * and index file, side by side on the sync threads, and the layers directory once, not once per
 * new layer; what it made durable reads back after a reopen. One failed sync among many fails the
 * flush, naming its layer, once all the others have ended.
 */
class GroupFlushTest {

    private static final int BS = 4096;
    private static final int SNAPSHOTS = 40;

    @TempDir
    Path tmp;

    @Test
    void aFlushAfterManySnapshotsFsyncsTheLayersDirectoryOnce() throws Exception {
        Path dir = tmp.resolve("store");
        Map<Path, Integer> fsyncs = new ConcurrentHashMap<>();
        Set<String> threads = ConcurrentHashMap.newKeySet();
        FileOps counting = (op, path) -> {
            if (op == FileOps.Op.FSYNC) {
                fsyncs.merge(path, 1, Integer::sum);
                if (path.toString().endsWith(".idx")) {
                    threads.add(Thread.currentThread().getName().replaceAll("[0-9]+$", ""));
                }
            }
        };
        try (SnapshotStore store = SnapshotStore.open(dir, counting, AutoPack.OFF);
                Volume v = store.createVolume("v", 64L * BS, VolumeOptions.defaults().blockSize(BS));
                Arena arena = Arena.ofConfined()) {
            takeSnapshots(store, v, arena);
            MemorySegment block = arena.allocate(BS);
            block.fill((byte) 99);
            v.write(63L * BS, block);
            fsyncs.clear();
            v.flush();
        }
        Path layers = dir.resolve("layers");
        assertThat(fsyncs.get(layers)).as("fsyncs of the layers directory in one flush of %d new layers", SNAPSHOTS + 1)
                .isEqualTo(1);
        assertThat(fsyncs.keySet().stream().filter(p -> p.toString().endsWith(".dat")).count())
                .as("data files fsynced").isEqualTo(SNAPSHOTS + 1);
        assertThat(fsyncs.keySet().stream().filter(p -> p.toString().endsWith(".idx")).count())
                .as("index files fsynced").isEqualTo(SNAPSHOTS + 1);
        assertThat(threads).as("threads that synced the %d layers", SNAPSHOTS + 1).containsExactly("amiforge-fsync-");
        try (SnapshotStore store = SnapshotStore.open(dir, AutoPack.OFF); Arena arena = Arena.ofConfined()) {
            MemorySegment read = arena.allocate(BS);
            try (Volume v = store.openVolume("v")) {
                assertBlocks(v, arena);
                v.read(63L * BS, read);
                assertThat(read.get(ValueLayout.JAVA_BYTE, BS - 1)).isEqualTo((byte) 99);
            }
            assertThat(store.verify().ok()).isTrue();
        }
    }

    @Test
    void aFailedSyncAmongManyFailsTheFlushAfterTheOthersAndTheNextFlushSucceeds() throws Exception {
        Path dir = tmp.resolve("failing");
        Map<Path, Integer> fsyncs = new ConcurrentHashMap<>();
        AtomicBoolean fail = new AtomicBoolean();
        Path[] victim = new Path[1];
        FileOps failing = (op, path) -> {
            if (op == FileOps.Op.FSYNC && path.toString().endsWith(".idx")) {
                fsyncs.merge(path, 1, Integer::sum);
                if (fail.get() && path.equals(victim[0])) {
                    throw new IOException("injected fsync failure");
                }
            }
        };
        try (SnapshotStore store = SnapshotStore.open(dir, failing, AutoPack.OFF);
                Volume v = store.createVolume("v", 64L * BS, VolumeOptions.defaults().blockSize(BS));
                Arena arena = Arena.ofConfined()) {
            String middle = takeSnapshots(store, v, arena).get(SNAPSHOTS / 2);
            victim[0] = dir.resolve("layers").resolve(store.catalog.snapshot(middle).layer + ".idx");
            fsyncs.clear();
            fail.set(true);
            assertThatThrownBy(v::flush).as("the flush with one failed sync").hasMessageContaining("fsync")
                    .hasMessageContaining(victim[0].getFileName().toString().replace(".idx", ""));
            assertThat(fsyncs).as("every layer's index was synced, the failed one included").hasSize(SNAPSHOTS);
            fail.set(false);
            fsyncs.clear();
            v.flush();
            assertThat(fsyncs).as("the next flush syncs what the failed one left: the failed layer").containsOnlyKeys(victim[0]);
        }
        try (SnapshotStore store = SnapshotStore.open(dir, AutoPack.OFF); Arena arena = Arena.ofConfined();
                Volume v = store.openVolume("v")) {
            assertBlocks(v, arena);
        }
    }

    /** Writes block i, then snapshots, {@value #SNAPSHOTS} times (no flush: every layer stays dirty); the snapshot ids. */
    private static List<String> takeSnapshots(SnapshotStore store, Volume v, Arena arena) {
        MemorySegment block = arena.allocate(BS);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < SNAPSHOTS; i++) {
            block.fill((byte) (i + 1));
            v.write((long) i * BS, block);
            ids.add(store.createSnapshot("v", "s" + i).id());
        }
        return ids;
    }

    private static void assertBlocks(Volume v, Arena arena) {
        MemorySegment read = arena.allocate(BS);
        for (int i = 0; i < SNAPSHOTS; i++) {
            v.read((long) i * BS, read);
            assertThat(read.get(ValueLayout.JAVA_BYTE, 0)).as("block %d", i).isEqualTo((byte) (i + 1));
        }
    }
}
