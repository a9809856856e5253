package io.amiforge.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.BlockDevice;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writers, readers and snapshots at once: every block a reader or a snapshot sees is one whole
 * write (the writers fill a block with one repeated value), for every strategy combination.
 */
class ConcurrencyTest {

    private static final int BS = 16384;
    private static final int BLOCKS = 32;

    @TempDir
    Path dir;

    @Test
    void snapshotsUnderConcurrentWritesAreNeverTorn() throws Exception {
        for (String write : List.of("row", "cow")) {
            for (String read : List.of("walk", "flat")) {
                run(dir.resolve(write + read), VolumeOptions.defaults().blockSize(BS).writeStrategy(write).readIndex(read));
            }
        }
    }

    private static void run(Path path, VolumeOptions options) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        AtomicBoolean stop = new AtomicBoolean();
        try (SnapshotStore store = SnapshotStore.open(path); Volume volume = store.createVolume("v", (long) BS * BLOCKS, options)) {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment buf = arena.allocate(BS);
                        for (int i = 1; !stop.get(); i++) {
                            buf.fill((byte) (i * 2 + thread));
                            // each write spans two blocks: either may land before or after a snapshot
                            volume.write((long) ((i * 7 + thread) % (BLOCKS - 1)) * BS, MemorySegment.ofArray(twoBlocks(buf)));
                        }
                    }
                    return null;
                }));
            }
            futures.add(pool.submit(() -> {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment buf = arena.allocate(BS);
                    while (!stop.get()) {
                        for (int b = 0; b < BLOCKS; b++) {
                            volume.read((long) b * BS, buf);
                            assertWhole(buf, "volume block " + b);
                        }
                    }
                }
                return null;
            }));
            List<String> snapshots = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                Thread.sleep(5);
                snapshots.add(store.createSnapshot("v", "under load").id());
                if (i % 10 == 9) {
                    store.deleteSnapshot(snapshots.remove(0));
                }
            }
            stop.set(true);
            for (Future<?> f : futures) {
                f.get();
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buf = arena.allocate(BS);
                for (String id : snapshots) {
                    try (BlockDevice snap = store.openSnapshot(id)) {
                        for (int b = 0; b < BLOCKS; b++) {
                            snap.read((long) b * BS, buf);
                            assertWhole(buf, "snapshot " + id + " block " + b);
                        }
                    }
                }
            }
            assertThat(store.verify().ok()).isTrue();
        } finally {
            stop.set(true);
            pool.shutdownNow();
        }
    }

    private static byte[] twoBlocks(MemorySegment one) {
        byte[] out = new byte[2 * BS];
        MemorySegment.copy(one, ValueLayout.JAVA_BYTE, 0, out, 0, BS);
        MemorySegment.copy(one, ValueLayout.JAVA_BYTE, 0, out, BS, BS);
        return out;
    }

    private static void assertWhole(MemorySegment block, String what) {
        byte first = block.get(ValueLayout.JAVA_BYTE, 0);
        for (long i = 1; i < BS; i++) {
            if (block.get(ValueLayout.JAVA_BYTE, i) != first) {
                throw new AssertionError(what + " is torn at byte " + i);
            }
        }
    }
}
