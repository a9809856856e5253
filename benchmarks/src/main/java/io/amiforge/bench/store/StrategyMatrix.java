package io.amiforge.bench.store;

import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.Volume;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;

/**
 * Every registered WRITE-READ strategy pair (built-ins and plug-ins, see {@link StrategyParams})
 * on the chain workload of {@link Chains} at one depth: random 4 KiB reads and writes per second
 * (best of three rounds of {@code n} each, one thread), then the volume's statistics with the
 * strategies' own counters. A quick screen for a new strategy before the JMH runs. Args: depth
 * (default 16), n (default 200000). The volume size is {@code -Damiforge.bench.size} (1 GiB).
 */
public final class StrategyMatrix {

    private StrategyMatrix() {
    }

    public static void main(String[] args) throws Exception {
        int depth = args.length > 0 ? Integer.parseInt(args[0]) : 16;
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
        Path dir = Chains.tempDir("strategy-matrix");
        try (SnapshotStore store = SnapshotStore.open(dir.resolve("store")); Arena arena = Arena.ofConfined()) {
            SnapshotInfo base = Chains.base(store);
            MemorySegment buf = arena.allocate(Chains.BLOCK, 4096);
            long[] blocks = Chains.randomBlocks(n, 42);
            System.out.printf("%-24s %12s %12s  (depth %d, %d MiB)%n", "strategy", "reads/s", "writes/s", depth, Chains.SIZE >> 20);
            for (String pair : StrategyParams.allPairs()) {
                String name = "m-" + pair;
                List<String> snaps = Chains.build(store, base, name, StrategyParams.options(pair), depth);
                try (Volume v = store.openVolume(name)) {
                    double reads = best(() -> {
                        for (long b : blocks) {
                            v.read(b * Chains.BLOCK, buf);
                        }
                    }, n);
                    double writes = best(() -> {
                        for (long b : blocks) {
                            v.write(b * Chains.BLOCK, buf);
                        }
                        v.flush();
                    }, n);
                    System.out.printf("%-24s %12.0f %12.0f  %s%n", pair, reads, writes, v.stats());
                }
                store.deleteVolume(name);
                for (int i = snaps.size() - 1; i >= 1; i--) {
                    store.deleteSnapshot(snaps.get(i));
                }
            }
        } finally {
            Chains.delete(dir);
        }
    }

    /** Operations per second of the fastest of three rounds of {@code ops} operations. */
    private static double best(Runnable round, int ops) {
        double best = 0;
        for (int i = 0; i < 3; i++) {
            long t0 = System.nanoTime();
            round.run();
            best = Math.max(best, ops / ((System.nanoTime() - t0) / 1e9));
        }
        return best;
    }
}
