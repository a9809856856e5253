package io.amiforge.bench.store;

import io.amiforge.store.AutoPack;
import io.amiforge.store.PackReport;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.Volume;
import io.amiforge.store.VolumeOptions;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.roaringbitmap.longlong.Roaring64Bitmap;

/**
 * Issue 13's depth benchmark, one JVM, same run for every depth: a base of {@code SIZE} (every
 * 4 KiB block written, default 256 MiB), then 999 layers that each write 1 MiB (256 random
 * blocks) and are snapshotted; volumes are clones of the snapshots at depth 1, 64, 256 and 1000
 * (with the {@code flat} index unless {@code -Damiforge.bench.index=NAME}). Measures, in rounds
 * that alternate the depths: the volume open time (a fresh store instance, {@code openVolume});
 * then, with the four volumes open in one store, random 4 KiB reads (seeded offsets over the
 * whole volume) and two ordered passes (every block in order), one thread. Each is timed by the
 * wall clock and by the reading thread's CPU time (on a machine shared with other work, the
 * CPU-time rates move least). Prints, per depth, the median and the spread of the rounds and
 * the index's memory. Usage: {@code DepthReadRunner DIR [rounds]} (the store in {@code DIR/store}
 * is built once and reused when it exists).
 *
 * <p>Three stores, measured in the same rounds, alternating, each with ratios against its own
 * depth 1: {@code DIR/store} built with auto-pack off ({@code AutoPack.OFF}: 999 small layer
 * files, "off"); {@code DIR/auto} built the same way with the defaults (auto-pack on: the
 * background packs the chain as it grows, size-tiered; the build waits for them with
 * {@code awaitMaintenance}, "auto"); and {@code DIR/packed}, a copy of {@code DIR/store} in which
 * the depth-1000 snapshot's chain was packed explicitly ({@code SnapshotStore.pack}: its 999 small
 * layers in one block-ordered file, "packed"; {@code -Damiforge.bench.pack=false} leaves it out).
 * Each is built once and reused.
 */
public final class DepthReadRunner {

    private static final int BLOCK = 4096;
    private static final long SIZE = Long.getLong("amiforge.bench.size", 256L << 20);
    private static final long BLOCKS = SIZE / BLOCK;
    private static final int[] DEPTHS = {1, 64, 256, 1000};
    private static final int PER_LAYER = 256;
    private static final int RANDOM_READS = 1 << 18;
    private static final String INDEX = System.getProperty("amiforge.bench.index", "flat");
    private static final boolean PACK = Boolean.parseBoolean(System.getProperty("amiforge.bench.pack", "true"));
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();
    /** The open runs on the store's journal thread: its cost is the process's CPU time. */
    private static final com.sun.management.OperatingSystemMXBean PROCESS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private DepthReadRunner() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Files.createDirectories(dir);
        Path storeDir = dir.resolve("store");
        Path autoDir = dir.resolve("auto");
        buildOnce(storeDir, AutoPack.OFF);
        buildOnce(autoDir, AutoPack.DEFAULT);
        List<Path> stores = new ArrayList<>(List.of(storeDir, autoDir));
        List<String> names = new ArrayList<>(List.of("off", "auto"));
        if (PACK) {
            names.add("packed");
            Path packedDir = dir.resolve("packed");
            if (!Files.exists(packedDir)) {
                pack(storeDir, packedDir);
            }
            stores.add(packedDir);
        }

        long[] random = new long[RANDOM_READS];
        SplittableRandom rnd = new SplittableRandom(13);
        for (int i = 0; i < random.length; i++) {
            random[i] = rnd.nextLong(BLOCKS);
        }
        int n = DEPTHS.length * stores.size();
        double[][] openWall = new double[n][rounds];
        double[][] openCpu = new double[n][rounds];
        for (int round = -1; round < rounds; round++) { // round -1: warm-up, not recorded
            for (int d = 0; d < n; d++) {
                try (SnapshotStore store = SnapshotStore.open(stores.get(d / DEPTHS.length))) {
                    long w0 = System.nanoTime();
                    long c0 = PROCESS.getProcessCpuTime();
                    Volume v = store.openVolume("d" + DEPTHS[d % DEPTHS.length]);
                    if (round >= 0) {
                        openCpu[d][round] = (PROCESS.getProcessCpuTime() - c0) / 1e6;
                        openWall[d][round] = (System.nanoTime() - w0) / 1e6;
                    }
                    v.close();
                }
            }
        }
        double[][] randWall = new double[n][rounds];
        double[][] randCpu = new double[n][rounds];
        double[][] seqWall = new double[n][rounds];
        double[][] seqCpu = new double[n][rounds];
        long[] memory = new long[n];
        List<SnapshotStore> open = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            for (Path p : stores) {
                open.add(SnapshotStore.open(p));
            }
            MemorySegment buf = arena.allocate(BLOCK, 4096);
            Volume[] volumes = new Volume[n];
            for (int d = 0; d < n; d++) {
                volumes[d] = open.get(d / DEPTHS.length).openVolume("d" + DEPTHS[d % DEPTHS.length]);
                memory[d] = volumes[d].stats().strategyCounters().getOrDefault(INDEX + ".memoryBytes", -1L);
            }
            for (Path p : stores) {
                System.out.printf("%s: %d mappings of files in %s/layers, %d data files there%n", p.getFileName(),
                        mappings(p.resolve("layers")), p.getFileName(), dataFiles(p.resolve("layers")));
            }
            for (int round = -1; round < rounds; round++) { // alternating depths; round -1 warms up
                for (int d = 0; d < n; d++) {
                    Volume v = volumes[d];
                    long w0 = System.nanoTime();
                    long c0 = CPU.getCurrentThreadCpuTime();
                    for (long b : random) {
                        v.read(b * BLOCK, buf);
                    }
                    long c1 = CPU.getCurrentThreadCpuTime();
                    long w1 = System.nanoTime();
                    for (int pass = 0; pass < 2; pass++) {
                        for (long b = 0; b < BLOCKS; b++) {
                            v.read(b * BLOCK, buf);
                        }
                    }
                    long c2 = CPU.getCurrentThreadCpuTime();
                    long w2 = System.nanoTime();
                    if (round >= 0) {
                        randWall[d][round] = random.length / ((w1 - w0) / 1e9);
                        randCpu[d][round] = random.length / ((c1 - c0) / 1e9);
                        seqWall[d][round] = 2 * BLOCKS / ((w2 - w1) / 1e9);
                        seqCpu[d][round] = 2 * BLOCKS / ((c2 - c1) / 1e9);
                    }
                }
            }
            for (Volume v : volumes) {
                v.close();
            }
        } finally {
            for (SnapshotStore store : open) {
                store.close();
            }
        }
        System.out.printf("index %s, %d rounds alternating the depths, median [min-max]; ratio = median / median at depth 1"
                + " of the same store%n", INDEX, rounds);
        System.out.println("reads/s per CPU-second of the reading thread, open in CPU ms of the process (what a shared"
                + " machine distorts least):");
        table(names, randCpu, seqCpu, openCpu, memory, "open, process CPU ms");
        System.out.println("reads/s of wall-clock time:");
        table(names, randWall, seqWall, openWall, memory, "open wall ms");
    }

    private static void table(List<String> names, double[][] rand, double[][] seq, double[][] open, long[] memory,
            String openName) {
        System.out.println("| store | depth | " + openName + " | random 4 KiB reads/s | ratio | ordered 4 KiB reads/s | ratio | index memory |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
        for (int d = 0; d < rand.length; d++) {
            int one = d - d % DEPTHS.length; // this store's depth 1
            System.out.printf("| %s | %d | %s | %s | %.2f | %s | %.2f | %s |%n", names.get(d / DEPTHS.length),
                    DEPTHS[d % DEPTHS.length], spread(open[d], "%.1f"),
                    spread(rand[d], "%,.0f"), median(rand[d]) / median(rand[one]), spread(seq[d], "%,.0f"),
                    median(seq[d]) / median(seq[one]), memory[d] < 0 ? "-" : (memory[d] >> 10) + " KiB");
        }
    }

    /** Copies the store in {@code from} to {@code to} and packs the chain of the depth-1000 volume's snapshot there. */
    private static void pack(Path from, Path to) throws IOException {
        Path tmp = to.resolveSibling(to.getFileName() + ".tmp");
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path target = tmp.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        try (SnapshotStore store = SnapshotStore.open(tmp, AutoPack.OFF)) {
            String top = store.listVolumes().stream().filter(v -> v.name().equals("d" + DEPTHS[DEPTHS.length - 1]))
                    .findFirst().orElseThrow().parentSnapshotId();
            long t0 = System.nanoTime();
            PackReport r = store.pack(top);
            System.out.printf("packed the chain of %s: %d layers, %d blocks, %d MiB in %.1f s%n", top, r.layers(),
                    r.blocks(), r.bytes() >> 20, (System.nanoTime() - t0) / 1e9);
        }
        Files.move(tmp, to);
    }

    private static void buildOnce(Path storeDir, AutoPack autoPack) {
        if (Files.exists(storeDir)) {
            return;
        }
        long t0 = System.nanoTime();
        build(storeDir, autoPack);
        System.out.printf("built the 1000-deep chain (%d MiB base, %d x 1 MiB layers) in %s, auto-pack %s, in %.1f s%n",
                SIZE >> 20, DEPTHS[DEPTHS.length - 1] - 1, storeDir.getFileName(), autoPack.enabled() ? "on" : "off",
                (System.nanoTime() - t0) / 1e9);
    }

    /**
     * The base snapshot (imported: every block), 999 one-MiB layers on a volume, and a clone at
     * each measured depth; with auto-pack on, waits for the background packs before closing.
     */
    private static void build(Path storeDir, AutoPack autoPack) {
        try (SnapshotStore store = SnapshotStore.open(storeDir, autoPack); Arena arena = Arena.ofConfined()) {
            Roaring64Bitmap all = new Roaring64Bitmap();
            all.addRange(0, BLOCKS);
            SnapshotInfo base = store.importSnapshot(null, new PatternDevice(SIZE, BLOCK, 1), all, "base");
            List<String> snaps = new ArrayList<>(List.of(base.id()));
            MemorySegment buf = arena.allocate(BLOCK, 4096);
            SplittableRandom rnd = new SplittableRandom(1000);
            try (Volume v = store.cloneVolume(base.id(), "chain", VolumeOptions.defaults())) {
                for (int layer = 1; layer < DEPTHS[DEPTHS.length - 1]; layer++) {
                    PatternDevice data = new PatternDevice(SIZE, BLOCK, 1000 + layer);
                    for (int i = 0; i < PER_LAYER; i++) {
                        long b = rnd.nextLong(BLOCKS);
                        data.read(b * BLOCK, buf);
                        v.write(b * BLOCK, buf);
                    }
                    snaps.add(store.createSnapshot("chain", "layer " + layer).id());
                }
                v.flush();
            }
            for (int depth : DEPTHS) {
                store.cloneVolume(snaps.get(depth - 1), "d" + depth, VolumeOptions.defaults().readIndex(INDEX)).close();
            }
            store.awaitMaintenance();
            if (!store.maintenanceFailures().isEmpty()) {
                throw new IllegalStateException("automatic packs failed: " + store.maintenanceFailures());
            }
            if (autoPack.enabled()) {
                System.out.println("automatic packing while building: " + store.autoPackStats());
            }
        }
    }

    /** Lines of /proc/self/maps naming a file in {@code layers} (-1 where there is no /proc). */
    private static long mappings(Path layers) throws IOException {
        Path maps = Path.of("/proc/self/maps");
        if (!Files.exists(maps)) {
            return -1;
        }
        String dir = layers.toAbsolutePath().toString() + "/";
        try (Stream<String> lines = Files.lines(maps)) {
            return lines.filter(l -> l.contains(dir)).count();
        }
    }

    /** Distinct data files (inodes: packed layers are links to one pack) in {@code layers}. */
    private static long dataFiles(Path layers) throws IOException {
        try (Stream<Path> files = Files.list(layers)) {
            Set<Object> keys = new HashSet<>();
            for (Path f : files.filter(f -> f.toString().endsWith(".dat")).toList()) {
                keys.add(Files.readAttributes(f, BasicFileAttributes.class).fileKey());
            }
            return keys.size();
        }
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static String spread(double[] xs, String format) {
        double min = Arrays.stream(xs).min().orElse(0);
        double max = Arrays.stream(xs).max().orElse(0);
        return format.formatted(median(xs)) + " [" + format.formatted(min) + "-" + format.formatted(max) + "]";
    }
}
