package io.amiforge.store;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * The chain of issue 13's memory target: a 16 GiB volume ({@code 4 KiB} blocks) under
 * {@value #DEPTH} snapshots that each wrote 1 MiB ({@value #PER_LAYER} blocks) spread over the
 * whole volume, every block written once, except the first block of each layer, which the next
 * layer overwrites (so shadowing is checked too). Its {@link #main} is the child JVM of
 * {@link DeepChainMemoryTest}: it opens the store and the volume and reads every written block
 * ({@code DeepChain DIR build} writes the chain into {@code DIR} instead, auto-pack off;
 * {@code DeepChain DIR pack} packs the chain first; {@code DeepChain DIR auto} builds it in this JVM
 * with the default auto-pack on, waits for the background packs, then reads it).
 */
final class DeepChain {

    static final int BLOCK = 4096;
    static final long SIZE = 16L << 30;
    static final long BLOCKS = SIZE / BLOCK;
    static final int DEPTH = 1000;
    static final int PER_LAYER = 256;
    static final String VOLUME = "deep";
    /** Odd, so k -> k * SPREAD mod BLOCKS is a bijection: every (layer, i) gets its own block, all over the volume. */
    private static final long SPREAD = 0x9E37_79B9L | 1;

    private DeepChain() {
    }

    /** File descriptors the reading JVM may hold: the JVM's own, the store's, the top layer's; not one per layer. */
    static final int MAX_OPEN_FILES = 200;

    /** Open file descriptors of this process (Linux {@code /proc/self/fd}), or -1 where that is not known. */
    private static long openFiles() {
        Path fd = Path.of("/proc/self/fd");
        if (!java.nio.file.Files.isDirectory(fd)) {
            return -1;
        }
        try (var list = java.nio.file.Files.list(fd)) {
            return list.count();
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    /** The block that the {@code i}-th write of layer {@code layer} (0-based) goes to. */
    static long block(int layer, int i) {
        return ((long) layer * PER_LAYER + i) * SPREAD & (BLOCKS - 1);
    }

    /** The layer whose data block {@code block(layer, i)} holds at the end. */
    static int lastWriter(int layer, int i) {
        return i == 0 && layer < DEPTH - 1 ? layer + 1 : layer;
    }

    /** Fills {@code buf} with what {@code layer} writes into {@code block}: the block number, the layer, then a fill byte. */
    static void fill(MemorySegment buf, int layer, long block) {
        buf.fill((byte) (block * 31 + layer));
        buf.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, block);
        buf.set(ValueLayout.JAVA_INT_UNALIGNED, 8, layer);
    }

    /** Writes the chain into a new store in {@code dir}: {@value #DEPTH} layers, a snapshot after each; auto-pack off. */
    static void build(Path dir) {
        build(dir, AutoPack.OFF);
    }

    /** As {@link #build(Path)} with {@code autoPack}; waits for the background packs before closing. */
    static void build(Path dir, AutoPack autoPack) {
        try (SnapshotStore store = SnapshotStore.open(dir, autoPack);
                Volume v = store.createVolume(VOLUME, SIZE, VolumeOptions.defaults());
                Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(BLOCK, 4096);
            for (int layer = 0; layer < DEPTH; layer++) {
                for (int i = 0; i < PER_LAYER; i++) {
                    long b = block(layer, i);
                    fill(buf, layer, b);
                    v.write(b * BLOCK, buf);
                }
                if (layer > 0) {
                    long b = block(layer - 1, 0);
                    fill(buf, layer, b);
                    v.write(b * BLOCK, buf);
                }
                v.flush();
                store.createSnapshot(VOLUME, "layer " + layer);
            }
            store.awaitMaintenance();
            if (!store.maintenanceFailures().isEmpty()) {
                throw new IllegalStateException("automatic packs failed: " + store.maintenanceFailures());
            }
            PackStats c = store.autoPackStats();
            if (autoPack.enabled()) {
                System.out.printf("auto-packed: %d packs, %d layers, %d MiB copied%n", c.packs(), c.layers(), c.bytesCopied() >> 20);
            }
        }
    }

    /**
     * Child JVM: opens the store and the volume (timed), reads every written block and some
     * never written, and checks each; prints the open time, the open files, the heap in use and
     * the flat index's counters. Exits 1 with a message on a wrong block or when the process
     * holds more than {@link #MAX_OPEN_FILES} open files.
     */
    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        if (args.length > 1 && args[1].equals("build")) {
            build(dir);
            return;
        }
        if (args.length > 1 && args[1].equals("auto")) {
            long t0 = System.nanoTime();
            build(dir, AutoPack.DEFAULT);
            System.out.printf("built with auto-pack in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        }
        if (args.length > 1 && args[1].equals("pack")) {
            try (SnapshotStore store = SnapshotStore.open(dir, AutoPack.OFF)) {
                long t0 = System.nanoTime();
                PackReport r = store.pack(store.listVolumes().getFirst().parentSnapshotId());
                System.out.printf("packed %d layers, %d blocks in %d ms%n", r.layers(), r.blocks(), (System.nanoTime() - t0) / 1_000_000);
            }
        }
        long start = System.nanoTime();
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            long storeOpened = System.nanoTime();
            try (Volume v = store.openVolume(VOLUME)) {
                System.out.printf("store open %d ms, volume open %d ms%n", (storeOpened - start) / 1_000_000,
                        (System.nanoTime() - storeOpened) / 1_000_000);
                check(v, start);
            }
        }
        System.out.println("ok");
    }

    private static void check(Volume v, long start) {
        try (Arena arena = Arena.ofConfined()) {
            long opened = System.nanoTime();
            MemorySegment buf = arena.allocate(BLOCK, 4096);
            MemorySegment expected = arena.allocate(BLOCK, 4096);
            for (int layer = 0; layer < DEPTH; layer++) {
                for (int i = 0; i < PER_LAYER; i++) {
                    long b = block(layer, i);
                    v.read(b * BLOCK, buf);
                    fill(expected, lastWriter(layer, i), b);
                    if (buf.mismatch(expected) != -1) {
                        System.out.println("block " + b + " (layer " + layer + ", write " + i + ") reads wrong: layer field "
                                + buf.get(ValueLayout.JAVA_INT_UNALIGNED, 8) + ", expected " + lastWriter(layer, i));
                        System.exit(1);
                    }
                }
            }
            expected.fill((byte) 0);
            for (long b = 1; b < BLOCKS; b += BLOCKS / 64) {
                long unwritten = b;
                v.read(unwritten * BLOCK, buf);
                if (buf.mismatch(expected) != -1 && buf.get(ValueLayout.JAVA_LONG_UNALIGNED, 0) != unwritten) {
                    System.out.println("block " + unwritten + " reads neither zeros nor its own data");
                    System.exit(1);
                }
            }
            long read = System.nanoTime();
            long fds = openFiles();
            if (fds > MAX_OPEN_FILES) {
                System.out.println(fds + " open files after reading through " + DEPTH + " layers (at most "
                        + MAX_OPEN_FILES + " expected: a layer that is only read keeps none open)");
                System.exit(1);
            }
            System.out.println("open files of the process: " + fds);
            Runtime rt = Runtime.getRuntime();
            System.gc();
            System.out.printf("open %d ms, read %d blocks in %d ms, heap used %d MiB of max %d MiB, %s%n",
                    (opened - start) / 1_000_000, (long) DEPTH * PER_LAYER, (read - opened) / 1_000_000,
                    (rt.totalMemory() - rt.freeMemory()) >> 20, rt.maxMemory() >> 20, v.stats().strategyCounters());
        }
    }
}
