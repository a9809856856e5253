package io.amiforge.bench.sweep;

import io.amiforge.store.AutoPack;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.Volume;
import io.amiforge.store.VolumeOptions;
import io.amiforge.store.VolumeStats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Runs a {@link SweepConfig} in fresh stores under a scratch directory, one per packing
 * ({@link SweepConfig#packs}: auto-pack on, the default, or off): one base snapshot with every
 * block written, then for each strategy pair and depth a clone of it with {@code depth - 1}
 * layers stacked (each rewrites 1% of the blocks, then a snapshot; with auto-pack on the sweep
 * waits for the background packs before it measures), measured under every {@link Workload},
 * then deleted. Before the measured chains, each pair runs once on a depth-1
 * chain whose rows are dropped, so that no pair is measured before the JIT has compiled it. One thread; latencies are wall-clock per operation.
 * Metadata memory is the heap taken by opening the built volume and reading through it once,
 * measured as a heap delta after GC (the store exposes no byte count of its indexes); disk
 * bytes and files are those the chain adds to the store directory.
 */
public final class Sweep {

    /** How {@link ResultRow#memoryBytes()} is measured here. */
    public static final String MEMORY_SOURCE = "heap-delta-after-gc";

    private final SweepConfig config;
    private final SweepProgress progress;
    private final WorkloadPlan plan;
    private String digest;

    /** A sweep of {@code config} that tells {@code progress} each step. */
    public Sweep(SweepConfig config, SweepProgress progress) {
        this.config = config;
        this.progress = progress;
        this.plan = new WorkloadPlan(config.seed(), config.blocks());
    }

    /**
     * Runs the sweep in new stores under {@code scratch} (created, then deleted), one per packing,
     * all open at once: each pair and depth is measured in every store in turn (alternating, so
     * that neither packing is measured colder than the other). Returns the rows.
     */
    public List<ResultRow> run(Path scratch) {
        long perChain = 1 + Workload.values().length;
        int packs = config.packs().size();
        progress.start((config.pairs().size() * (config.depths().size() + 1L)) * perChain * packs + packs);
        List<ResultRow> rows = new ArrayList<>();
        List<SnapshotStore> stores = new ArrayList<>();
        List<Path> dirs = new ArrayList<>();
        List<WorkloadPlan> plans = new ArrayList<>();
        List<String> bases = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            Files.createDirectories(scratch);
            MemorySegment buf = arena.allocate(SweepConfig.BLOCK, 4096);
            for (String pack : config.packs()) {
                // the same workload in each store (checked by the digests below)
                WorkloadPlan runPlan = plans.isEmpty() ? plan : new WorkloadPlan(config.seed(), config.blocks());
                Path dir = Files.createTempDirectory(scratch, "sweep-store");
                dirs.add(dir);
                plans.add(runPlan);
                stores.add(SnapshotStore.open(dir, pack.equals("auto") ? AutoPack.DEFAULT : AutoPack.OFF));
                progress.step("pack=" + pack + ": base snapshot");
                bases.add(base(stores.getLast(), buf, runPlan));
            }
            for (String pair : config.pairs()) {
                for (int p = 0; p < packs; p++) {
                    // warm-up: the JIT compiles each pair's paths on a depth-1 chain whose rows are dropped
                    new Chain(stores.get(p), dirs.get(p), pair, config.packs().get(p), 1, buf, "warm-up ", plans.get(p))
                            .measure(bases.get(p));
                }
            }
            for (String pair : config.pairs()) {
                for (int depth : config.depths()) {
                    for (int p = 0; p < packs; p++) {
                        rows.addAll(new Chain(stores.get(p), dirs.get(p), pair, config.packs().get(p), depth, buf, "",
                                plans.get(p)).measure(bases.get(p)));
                    }
                }
            }
            for (int p = 1; p < packs; p++) {
                if (!plans.get(p).digest().equals(plan.digest())) {
                    throw new IllegalStateException("the sweep ran another workload with pack=" + config.packs().get(p)
                            + " than with pack=" + config.packs().getFirst());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("bench scratch directory " + scratch + ": " + e.getMessage(), e);
        } finally {
            for (SnapshotStore store : stores) {
                store.close();
            }
            for (Path dir : dirs) {
                try {
                    delete(dir);
                } catch (IOException e) {
                    System.err.println("could not delete the bench store " + dir + ": " + e.getMessage());
                }
            }
        }
        digest = plan.digest();
        return rows;
    }

    /** Hex SHA-256 of every block list the run used (see {@link WorkloadPlan}); after {@link #run}. */
    public String workloadDigest() {
        if (digest == null) {
            throw new IllegalStateException("the sweep has not run");
        }
        return digest;
    }

    private String base(SnapshotStore store, MemorySegment buf, WorkloadPlan plan) {
        try (Volume v = store.createVolume("sweep-base", config.volumeBytes(), VolumeOptions.defaults())) {
            for (long b = 0; b < config.blocks(); b++) {
                plan.fill(buf, b, 0);
                v.write(b * SweepConfig.BLOCK, buf);
            }
            v.flush();
        }
        // the volume stays (empty on top of the base): every chain is a second branch on the base, so an
        // automatic pack never takes the shared base into one chain's pack (see docs/snapshot-store.md)
        return store.createSnapshot("sweep-base", "sweep base").id();
    }

    /** One strategy pair at one depth: builds, measures and removes its chain. */
    private final class Chain {
        private final SnapshotStore store;
        private final Path dir;
        private final String write;
        private final String read;
        private final String pack;
        private final WorkloadPlan plan;
        private final int depth;
        private final MemorySegment buf;
        private final String name;
        private final List<String> snapshots = new ArrayList<>();
        private final long[] nanos;
        private long[] baseline;
        private final String label;
        private Long memory;

        Chain(SnapshotStore store, Path dir, String pair, String pack, int depth, MemorySegment buf, String label,
                WorkloadPlan plan) {
            this.store = store;
            this.pack = pack;
            this.plan = plan;
            this.dir = dir;
            int dash = pair.indexOf('-');
            this.write = pair.substring(0, dash);
            this.read = pair.substring(dash + 1);
            this.depth = depth;
            this.buf = buf;
            this.label = label;
            this.name = "sweep-" + write + "-" + read + "-" + depth;
            this.nanos = new long[Math.max(config.dataOps(), config.metaOps())];
        }

        List<ResultRow> measure(String base) {
            store.awaitMaintenance(); // the packs of the chain before are done and their old files gone
            baseline = disk();
            step("build");
            VolumeOptions options = VolumeOptions.defaults().blockSize(SweepConfig.BLOCK).writeStrategy(write).readIndex(read);
            int perLayer = (int) Math.max(1, config.blocks() / 100);
            try (Volume v = store.cloneVolume(base, name, options)) {
                for (int layer = 1; layer < depth; layer++) {
                    for (long b : plan.randomBlocks("layer", depth, layer, perLayer)) {
                        plan.fill(buf, b, layer);
                        v.write(b * SweepConfig.BLOCK, buf);
                    }
                    snapshots.add(store.createSnapshot(name, "layer " + layer).id());
                }
                v.flush();
            }
            store.awaitMaintenance(); // with auto-pack on: measure the chain as the background left it
            List<ResultRow> rows = new ArrayList<>();
            long[] reads = plan.randomBlocks(Workload.RANDOM_READ.label(), depth, 0, config.dataOps());
            MemoryMXBean heap = ManagementFactory.getMemoryMXBean();
            long before = usedAfterGc(heap);
            try (Volume v = store.openVolume(name)) {
                readAll(v, reads, false);
                memory = Math.max(0, usedAfterGc(heap) - before);
                step(Workload.RANDOM_READ.label());
                rows.add(timed(Workload.RANDOM_READ, reads.length, readAll(v, reads, true), null));
                step(Workload.SEQUENTIAL_READ.label());
                long[] seq = plan.sequentialBlocks(Workload.SEQUENTIAL_READ.label(), depth, config.dataOps());
                rows.add(timed(Workload.SEQUENTIAL_READ, seq.length, readAll(v, seq, true), null));
                step(Workload.RANDOM_WRITE.label());
                rows.add(randomWrite(v));
                step(Workload.SNAPSHOT_CREATE.label());
                rows.add(snapshotCreate(v));
            }
            step(Workload.CLONE.label());
            rows.add(clones());
            step(Workload.DELETE_MIDDLE_SNAPSHOT.label());
            rows.add(deleteMiddle());
            step(Workload.FLATTEN.label());
            long t0 = System.nanoTime();
            store.flatten(name);
            nanos[0] = System.nanoTime() - t0;
            rows.add(timed(Workload.FLATTEN, 1, nanos[0], null));
            store.deleteVolume(name);
            for (int i = snapshots.size() - 1; i >= 0; i--) {
                store.deleteSnapshot(snapshots.get(i));
            }
            return rows;
        }

        /** Reads every block of {@code blocks}; with {@code record}, each latency into {@link #nanos}. Total nanoseconds. */
        private long readAll(Volume v, long[] blocks, boolean record) {
            long start = System.nanoTime();
            long last = start;
            for (int i = 0; i < blocks.length; i++) {
                v.read(blocks[i] * SweepConfig.BLOCK, buf);
                if (record) {
                    long now = System.nanoTime();
                    nanos[i] = now - last;
                    last = now;
                }
            }
            return System.nanoTime() - start;
        }

        private ResultRow randomWrite(Volume v) {
            long[] blocks = plan.randomBlocks(Workload.RANDOM_WRITE.label(), depth, 0, config.dataOps());
            VolumeStats stats = v.stats();
            long written = storeBytesWritten(stats);
            long start = System.nanoTime();
            long last = start;
            for (int i = 0; i < blocks.length; i++) {
                plan.fill(buf, blocks[i], depth + 1L);
                long t = System.nanoTime();
                v.write(blocks[i] * SweepConfig.BLOCK, buf);
                long now = System.nanoTime();
                nanos[i] = now - t;
                last += now - t;
            }
            long flush = System.nanoTime();
            v.flush();
            long total = last - start + System.nanoTime() - flush;
            double amplification = (double) (storeBytesWritten(stats) - written)
                    / ((long) blocks.length * SweepConfig.BLOCK);
            return timed(Workload.RANDOM_WRITE, blocks.length, total, amplification);
        }

        private ResultRow snapshotCreate(Volume v) {
            long[] blocks = plan.randomBlocks(Workload.SNAPSHOT_CREATE.label(), depth, 0, config.metaOps());
            long total = 0;
            for (int i = 0; i < blocks.length; i++) {
                plan.fill(buf, blocks[i], depth + 2L + i);
                v.write(blocks[i] * SweepConfig.BLOCK, buf);
                long t = System.nanoTime();
                snapshots.add(store.createSnapshot(name, "bench " + i).id());
                nanos[i] = System.nanoTime() - t;
                total += nanos[i];
            }
            return timed(Workload.SNAPSHOT_CREATE, blocks.length, total, null);
        }

        private ResultRow clones() {
            String middle = snapshots.get(snapshots.size() / 2);
            VolumeOptions options = VolumeOptions.defaults().blockSize(SweepConfig.BLOCK).writeStrategy(write).readIndex(read);
            long total = 0;
            for (int i = 0; i < config.metaOps(); i++) {
                long t = System.nanoTime();
                Volume clone = store.cloneVolume(middle, name + "-clone" + i, options);
                nanos[i] = System.nanoTime() - t;
                total += nanos[i];
                clone.close();
                store.deleteVolume(name + "-clone" + i);
            }
            return timed(Workload.CLONE, config.metaOps(), total, null);
        }

        /**
         * Deletes the middle snapshot of the chain above the shared base (never the newest, which the
         * volume stands on) while two remain; snapshot_create made at least {@code metaOps} of them.
         */
        private ResultRow deleteMiddle() {
            long total = 0;
            int done = 0;
            while (done < config.metaOps() && snapshots.size() >= 2) {
                String middle = snapshots.remove((snapshots.size() - 1) / 2);
                long t = System.nanoTime();
                store.deleteSnapshot(middle);
                nanos[done] = System.nanoTime() - t;
                total += nanos[done++];
            }
            return timed(Workload.DELETE_MIDDLE_SNAPSHOT, done, total, null);
        }

        private ResultRow timed(Workload w, int ops, long totalNanos, Double amplification) {
            long[] after = disk();
            if (ops == 0) {
                nanos[0] = 0;
            }
            Percentiles p = new Percentiles(nanos, Math.max(1, ops));
            double perSec = ops == 0 ? 0 : ops / (totalNanos / 1e9);
            return new ResultRow(write, read, pack, depth, w.label(), ops, perSec, p.us(0.5), p.us(0.99), p.us(0.999), amplification,
                    memory, MEMORY_SOURCE, after[0] - baseline[0], after[1] - baseline[1]);
        }

        /** Bytes and files under the store directory, each file once (packed layers are hard links to one pack). */
        private long[] disk() {
            long[] out = new long[2];
            Set<Object> seen = new HashSet<>();
            try (Stream<Path> files = Files.walk(dir)) {
                files.filter(Files::isRegularFile).forEach(f -> {
                    try {
                        BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
                        if (a.fileKey() == null || seen.add(a.fileKey())) {
                            out[0] += a.size();
                            out[1]++;
                        }
                    } catch (IOException e) {
                        // a file removed while walking: not counted
                    }
                });
            } catch (IOException e) {
                throw new UncheckedIOException("cannot walk the bench store " + dir + ": " + e.getMessage(), e);
            }
            return out;
        }

        private void step(String what) {
            progress.step(label + write + "-" + read + " pack=" + pack + " depth " + depth + ": " + what);
        }
    }

    /** Bytes the store wrote for a volume: block data, metadata, and the blocks copy-on-write copied out. */
    private static long storeBytesWritten(VolumeStats stats) {
        return stats.dataBytesWritten() + stats.metadataBytesWritten() + stats.blocksCopied() * SweepConfig.BLOCK;
    }

    private static long usedAfterGc(MemoryMXBean heap) {
        for (int i = 0; i < 2; i++) {
            System.gc();
        }
        return heap.getHeapMemoryUsage().getUsed();
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
