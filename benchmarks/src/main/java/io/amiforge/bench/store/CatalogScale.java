package io.amiforge.bench.store;

import io.amiforge.store.AutoPack;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.Volume;
import io.amiforge.store.VolumeOptions;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Catalog commit cost as the store grows: {@code n} snapshots spread round-robin over
 * {@code volumes} volumes (each after one 4 KiB write), then durable metadata commits
 * (a snapshot attribute set, fsynced) on the full catalog, printing percentiles of both and the
 * catalog's files. Issue #13's target: with 10,000 snapshots, snapshot create p99 under 1 ms.
 * Args: volume size, write strategy, volumes, n, durable commits (default 200), seed (default 1).
 * The store packs automatically (the default): with a row write strategy every 8 snapshots of a
 * volume trigger a background pack; its counters are printed at the end.
 * {@code -Damiforge.bench.autoPack=false} turns it off (to compare), as in {@link SnapshotLatency}.
 */
public final class CatalogScale {

    private CatalogScale() {
    }

    public static void main(String[] args) throws Exception {
        long size = Long.parseLong(args[0]);
        String write = args[1];
        int volumes = Integer.parseInt(args[2]);
        int n = Integer.parseInt(args[3]);
        int durable = args.length > 4 ? Integer.parseInt(args[4]) : 200;
        SplittableRandom random = new SplittableRandom(args.length > 5 ? Long.parseLong(args[5]) : 1);
        StrategyParams.loadPlugins();
        Path dir = Chains.tempDir("catalog-scale");
        Path storeDir = dir.resolve("store");
        AutoPack policy = Boolean.parseBoolean(System.getProperty("amiforge.bench.autoPack", "true")) ? AutoPack.DEFAULT
                : AutoPack.OFF;
        System.out.println("auto-pack " + (policy.enabled() ? "on" : "off"));
        try (SnapshotStore store = SnapshotStore.open(storeDir, policy); Arena arena = Arena.ofConfined()) {
            List<Volume> open = new ArrayList<>();
            for (int i = 0; i < volumes; i++) {
                open.add(store.createVolume("v" + i, size, VolumeOptions.defaults().writeStrategy(write)));
            }
            MemorySegment buf = arena.allocate(4096);
            long[] create = new long[n];
            String[] ids = new String[n];
            for (int i = 0; i < n; i++) {
                buf.fill((byte) i);
                open.get(i % volumes).write(random.nextLong(size / 4096) * 4096, buf);
                long t0 = System.nanoTime();
                ids[i] = store.createSnapshot("v" + (i % volumes), "s" + i).id();
                create[i] = System.nanoTime() - t0;
            }
            // packs still queued or in progress commit later (after the volumes close): these held the journal during the creates
            System.out.println("automatic packing by the end of the creates: " + store.autoPackStats());
            try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
                System.out.println("open files of the process after the creates: " + fds.count());
            }
            long[] commit = new long[durable];
            for (int i = 0; i < durable; i++) {
                String id = ids[random.nextInt(n)];
                long t0 = System.nanoTime();
                store.setSnapshotAttribute(id, "k", Integer.toString(i));
                commit[i] = System.nanoTime() - t0;
            }
            for (Volume v : open) {
                v.close();
            }
            Latencies.report("snapshot create, all " + n, create);
            Latencies.report("snapshot create, first 1000", Arrays.copyOf(create, Math.min(1000, n)));
            Latencies.report("snapshot create, last 1000 (" + (n - Math.min(1000, n)) + ".." + n + " snapshots in the store)",
                    Arrays.copyOfRange(create, Math.max(0, n - 1000), n));
            if (durable > 0) {
                Latencies.report("durable commit (set attribute, fsync) with " + n + " snapshots", commit);
            }
            store.awaitMaintenance(); // row volumes of small snapshots trigger automatic packs (the default)
            System.out.println("automatic pack failures: " + store.maintenanceFailures().size() + ", " + store.autoPackStats());
            try (Stream<Path> files = Files.list(storeDir)) {
                files.filter(p -> p.getFileName().toString().startsWith("catalog")).sorted().forEach(p -> {
                    try {
                        System.out.printf("  %s: %d bytes%n", p.getFileName(), Files.size(p));
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
            }
        } finally {
            Chains.delete(dir);
        }
    }
}
