package io.amiforge.store;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * The child JVM of {@link CrashTest}: two threads write and flush blocks in a loop (thread t
 * writes iteration k into block {@link #block}), printing {@code flushed t k} after each flush
 * returned, while the main thread takes snapshots; the parent SIGKILLs it at a random moment.
 */
public final class CrashWriter {

    static final int BLOCKS = 64;
    static final int BLOCK_SIZE = 4096 * 2;

    private CrashWriter() {
    }

    static long block(int thread, long k) {
        return 2 * (k % (BLOCKS / 2)) + thread;
    }

    /** Fills {@code buf} with the pattern of (thread, k): never all zero, every byte determined. */
    static void fill(MemorySegment buf, int thread, long k) {
        buf.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, thread);
        buf.set(ValueLayout.JAVA_LONG_UNALIGNED, 8, k);
        long x = (k * 0x9E3779B97F4A7C15L + thread) ^ 0x5DEECE66DL; // never 0: xorshift would stay 0
        if (x == 0) {
            x = 1;
        }
        for (long i = 16; i < buf.byteSize(); i += 8) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            buf.set(ValueLayout.JAVA_LONG_UNALIGNED, i, x);
        }
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long start = Long.parseLong(args[1]);
        PrintStream out = System.out;
        SnapshotStore store = SnapshotStore.open(dir);
        Volume volume;
        if (store.listVolumes().isEmpty()) {
            volume = store.createVolume("crash", (long) BLOCKS * BLOCK_SIZE,
                    VolumeOptions.defaults().blockSize(BLOCK_SIZE).writeStrategy(args[2]).readIndex(args[3]));
        } else {
            volume = store.openVolume("crash");
        }
        Thread[] threads = new Thread[2];
        for (int t = 0; t < 2; t++) {
            int thread = t;
            threads[t] = new Thread(() -> {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment buf = arena.allocate(BLOCK_SIZE);
                    for (long k = start; ; k++) {
                        fill(buf, thread, k);
                        volume.write(block(thread, k) * BLOCK_SIZE, buf);
                        if (k % 3 == 0) {
                            volume.flush();
                            synchronized (out) {
                                out.println("flushed " + thread + " " + k);
                                out.flush();
                            }
                        }
                    }
                }
            });
            threads[t].start();
        }
        synchronized (out) {
            out.println("ready");
            out.flush();
        }
        int snapshots = 0;
        while (true) {
            Thread.sleep(15);
            if (snapshots++ % 6 == 5) {
                var list = store.listSnapshots();
                if (list.size() > 4) {
                    store.deleteSnapshot(list.getFirst().id());
                }
            }
            store.createSnapshot("crash", "under load");
        }
    }
}
