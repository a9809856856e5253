package io.amiforge.bench.store;

import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.Volume;
import io.amiforge.store.VolumeOptions;
import io.amiforge.store.spi.Strategies;
import io.amiforge.store.spi.StrategyProvider;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

/**
 * Our side of {@code benchmarks/compare-qemu.sh}. {@code layers DIR} writes the base image
 * ({@code base.raw}, 1 GiB) and the block list of each layer ({@code layer-N.txt}) so that
 * qemu-img builds the same chains; {@code measure DIR} builds the chains in a store and prints
 * {@code key value} lines: a read of every block in order (4 KiB, one thread) at depth 1 and 64
 * for each registered read index, flatten and export of the 64-deep chain, snapshot create at depth 64.
 */
public final class CompareRunner {

    private CompareRunner() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[1]);
        Files.createDirectories(dir);
        switch (args[0]) {
            case "layers" -> layers(dir);
            case "measure" -> measure(dir);
            default -> throw new IllegalArgumentException("usage: layers|measure DIR");
        }
    }

    private static void layers(Path dir) throws IOException {
        Path base = dir.resolve("base.raw");
        try (FileChannel out = FileChannel.open(base, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING); Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(1 << 20, 4096);
            PatternDevice pattern = new PatternDevice(Chains.SIZE, Chains.BLOCK, 1);
            for (long pos = 0; pos < Chains.SIZE; pos += buf.byteSize()) {
                pattern.read(pos, buf);
                ByteBuffer bb = buf.asByteBuffer();
                while (bb.hasRemaining()) {
                    out.write(bb, pos + bb.position());
                }
            }
        }
        for (int layer = 1; layer < 64; layer++) {
            Files.writeString(dir.resolve("layer-" + layer + ".txt"),
                    LongStream.of(Chains.layerBlocks(layer)).mapToObj(Long::toString).collect(Collectors.joining("\n")) + "\n");
        }
    }

    /** Every registered read index (plug-ins included, see {@link StrategyParams}), flat first. */
    private static List<String> readIndexes() {
        StrategyParams.loadPlugins();
        List<String> names = new java.util.ArrayList<>(Strategies.names(StrategyProvider.Kind.READ_INDEX));
        names.sort(java.util.Comparator.comparing(name -> !name.equals("flat")));
        return names;
    }

    private static void measure(Path dir) throws Exception {
        try (SnapshotStore store = SnapshotStore.open(dir.resolve("store"))) {
            SnapshotInfo base = Chains.base(store);
            for (String index : readIndexes()) {
                for (int depth : new int[] {1, 64}) {
                    String name = "d" + depth + index;
                    List<String> snaps = Chains.build(store, base, name, VolumeOptions.defaults().readIndex(index), depth);
                    try (Volume v = store.openVolume(name); Arena arena = Arena.ofConfined()) {
                        MemorySegment buf = arena.allocate(Chains.BLOCK, 4096);
                        for (long b = 0; b < Chains.BLOCKS; b++) { // warm-up pass
                            v.read(b * Chains.BLOCK, buf);
                        }
                        double best = 0;
                        for (int round = 0; round < 3; round++) {
                            long t0 = System.nanoTime();
                            for (long b = 0; b < Chains.BLOCKS; b++) {
                                v.read(b * Chains.BLOCK, buf);
                            }
                            best = Math.max(best, Chains.BLOCKS / ((System.nanoTime() - t0) / 1e9));
                        }
                        System.out.printf("read_%s_depth%d_ops %.0f%n", index, depth, best);
                    }
                    if (depth == 64 && index.equals("flat")) {
                        long t0;
                        try (Volume _ = store.openVolume(name)) { // as a writer snapshots its own volume
                            t0 = System.nanoTime();
                            store.createSnapshot(name, "timed");
                            System.out.printf("snapshot_create_depth64_us %.1f%n", (System.nanoTime() - t0) / 1e3);
                        }
                        Path out = dir.resolve("export.raw");
                        t0 = System.nanoTime();
                        try (Volume v = store.openVolume(name); Arena arena = Arena.ofConfined();
                                FileChannel file = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                                        StandardOpenOption.TRUNCATE_EXISTING)) {
                            MemorySegment buf = arena.allocate(1 << 20, 4096);
                            for (long pos = 0; pos < v.size(); pos += buf.byteSize()) {
                                v.read(pos, buf);
                                ByteBuffer bb = buf.asByteBuffer();
                                while (bb.hasRemaining()) {
                                    file.write(bb, pos + bb.position());
                                }
                            }
                        }
                        System.out.printf("export_depth64_mibs %.0f%n", (Chains.SIZE >> 20) / ((System.nanoTime() - t0) / 1e9));
                        Files.delete(out);
                        t0 = System.nanoTime();
                        store.flatten(name);
                        System.out.printf("flatten_depth64_mibs %.0f%n", (Chains.SIZE >> 20) / ((System.nanoTime() - t0) / 1e9));
                    }
                    store.deleteVolume(name);
                    List<SnapshotInfo> all = store.listSnapshots();
                    for (int i = all.size() - 1; i >= 0; i--) {
                        if (!all.get(i).id().equals(base.id())) {
                            store.deleteSnapshot(all.get(i).id());
                        }
                    }
                    if (snaps.isEmpty()) {
                        throw new IllegalStateException("no chain");
                    }
                }
            }
        }
    }
}
