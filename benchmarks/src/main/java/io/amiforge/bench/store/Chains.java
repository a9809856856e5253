package io.amiforge.bench.store;

import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.Volume;
import io.amiforge.store.VolumeOptions;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.roaringbitmap.longlong.Roaring64Bitmap;

/**
 * The benchmark workload of issue 2: a 1 GiB base (4 KiB blocks, every block written), then
 * layers that each rewrite 1% of random blocks, one snapshot per layer. Also writes the same
 * final contents as a raw file for the FileChannel (and qemu-img) baselines.
 */
final class Chains {

    static final long SIZE = Long.getLong("amiforge.bench.size", 1L << 30);
    static final int BLOCK = 4096;
    static final long BLOCKS = SIZE / BLOCK;

    private Chains() {
    }

    /** One store with the imported base, shared by every trial of a JMH fork (building it takes a while). */
    static final class Shared {
        private static Path dir;
        private static SnapshotStore store;
        private static SnapshotInfo base;
        private static final java.util.Map<Integer, Path> RAW = new java.util.HashMap<>();

        static synchronized SnapshotStore store() throws IOException {
            if (store == null) {
                dir = tempDir("amiforge-bench");
                store = SnapshotStore.open(dir.resolve("store"));
                base = Chains.base(store);
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        store.close();
                        delete(dir);
                    } catch (Exception ignored) {
                        // best effort
                    }
                }));
            }
            return store;
        }

        static synchronized SnapshotInfo base() throws IOException {
            store();
            return base;
        }

        /** A raw file holding the contents of a chain of {@code depth}. */
        static synchronized Path raw(int depth) throws IOException {
            store();
            Path file = RAW.get(depth);
            if (file == null) {
                file = dir.resolve("depth-" + depth + ".raw");
                writeRaw(file, depth);
                RAW.put(depth, file);
            }
            return file;
        }

        /** Deletes a volume built by {@link #build} and the snapshots it took (newest first: nothing to merge). */
        static synchronized void drop(String volume, List<String> snapshots) {
            store.deleteVolume(volume);
            for (int i = snapshots.size() - 1; i >= 1; i--) {
                store.deleteSnapshot(snapshots.get(i));
            }
        }
    }

    static Path tempDir(String name) throws IOException {
        Path base = Path.of(System.getProperty("amiforge.bench.dir", System.getProperty("java.io.tmpdir")));
        Files.createDirectories(base);
        return Files.createTempDirectory(base, name);
    }

    static void delete(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** Imports the 1 GiB base snapshot (every block present) into {@code store}. */
    static SnapshotInfo base(SnapshotStore store) {
        Roaring64Bitmap all = new Roaring64Bitmap();
        all.addRange(0, BLOCKS);
        return store.importSnapshot(null, new PatternDevice(SIZE, BLOCK, 1), all, "base");
    }

    /** The blocks layer {@code layer} (1-based) rewrites: 1% of all, random but reproducible. */
    static long[] layerBlocks(int layer) {
        SplittableRandom random = new SplittableRandom(1000 + layer);
        long[] blocks = new long[(int) (BLOCKS / 100)];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = random.nextLong(BLOCKS);
        }
        return blocks;
    }

    /** Fills {@code buf} with the content layer {@code layer} writes into {@code block}. */
    static void layerData(MemorySegment buf, int layer, long block) {
        new PatternDevice(SIZE, BLOCK, 1000 + layer).read(block * BLOCK, buf);
    }

    /**
     * Clones the base into a volume with {@code options} and stacks {@code depth-1} layers on it
     * (each: 1% rewrite, then a snapshot): the volume then reads through {@code depth} snapshot
     * layers plus its own (empty) top. Returns the snapshots taken, oldest first.
     */
    static List<String> build(SnapshotStore store, SnapshotInfo base, String name, VolumeOptions options, int depth) {
        List<String> snaps = new ArrayList<>();
        snaps.add(base.id());
        try (Volume volume = store.cloneVolume(base.id(), name, options); Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(BLOCK, 4096);
            for (int layer = 1; layer < depth; layer++) {
                for (long block : layerBlocks(layer)) {
                    layerData(buf, layer, block);
                    volume.write(block * BLOCK, buf);
                }
                snaps.add(store.createSnapshot(name, "layer " + layer).id());
            }
            volume.flush();
        }
        return snaps;
    }

    /** Writes the contents of a volume built to {@code depth} as a raw file (for the FileChannel and qemu baselines). */
    static void writeRaw(Path file, int depth) throws IOException {
        long[] owner = new long[(int) BLOCKS];
        for (int layer = 1; layer < depth; layer++) {
            for (long block : layerBlocks(layer)) {
                owner[(int) block] = layer;
            }
        }
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING); Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(BLOCK, 4096);
            PatternDevice base = new PatternDevice(SIZE, BLOCK, 1);
            for (long block = 0; block < BLOCKS; block++) {
                if (owner[(int) block] == 0) {
                    base.read(block * BLOCK, buf);
                } else {
                    layerData(buf, (int) owner[(int) block], block);
                }
                ByteBuffer bb = buf.asByteBuffer();
                while (bb.hasRemaining()) {
                    out.write(bb, block * BLOCK + bb.position());
                }
            }
            out.force(false);
        }
    }

    /** Random block indices, reproducible. */
    static long[] randomBlocks(int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        long[] blocks = new long[count];
        for (int i = 0; i < count; i++) {
            blocks[i] = random.nextLong(BLOCKS);
        }
        return blocks;
    }
}
