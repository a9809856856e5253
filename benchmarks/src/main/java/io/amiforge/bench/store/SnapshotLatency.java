package io.amiforge.bench.store;

import io.amiforge.store.AutoPack;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.Volume;
import io.amiforge.store.VolumeOptions;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Snapshot-create latency without JMH's per-invocation teardown: {@code n} snapshots in a row of
 * a sparse volume (each after one 4 KiB write, which is timed too: the first write to the fresh
 * layer of the snapshot before), printing percentiles. Args: size, write strategy (any registered name; plug-ins as in
 * {@link StrategyParams}), n. The store packs automatically (the default) unless
 * {@code -Damiforge.bench.autoPack=false}: with it on, a row volume's small layers are packed in
 * the background every 8 snapshots while the snapshots are taken.
 */
public final class SnapshotLatency {

    private SnapshotLatency() {
    }

    public static void main(String[] args) throws Exception {
        long size = Long.parseLong(args[0]);
        String write = args[1];
        int n = Integer.parseInt(args[2]);
        StrategyParams.loadPlugins();
        Path dir = Chains.tempDir("snap-latency");
        AutoPack policy = Boolean.parseBoolean(System.getProperty("amiforge.bench.autoPack", "true")) ? AutoPack.DEFAULT
                : AutoPack.OFF;
        System.out.println("auto-pack " + (policy.enabled() ? "on" : "off"));
        try (SnapshotStore store = SnapshotStore.open(dir.resolve("store"), policy);
                Volume v = store.createVolume("v", size, VolumeOptions.defaults().writeStrategy(write));
                Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(4096);
            long[] nanos = new long[n];
            long[] firstWrite = new long[n];
            for (int i = 0; i < n; i++) {
                buf.fill((byte) i);
                long w0 = System.nanoTime();
                v.write((i * 7919L % (size / 4096)) * 4096, buf); // the first write to the fresh layer of the last snapshot
                firstWrite[i] = System.nanoTime() - w0;
                long t0 = System.nanoTime();
                store.createSnapshot("v", "s" + i);
                nanos[i] = System.nanoTime() - t0;
            }
            long f0 = System.nanoTime();
            v.flush(); // every layer the snapshots above froze, none synced yet (group commit)
            System.out.printf("flush after %d snapshots: %.1f ms%n", n, (System.nanoTime() - f0) / 1e6);
            long[] trivial = new long[n];
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                store.volume("v");
                trivial[i] = System.nanoTime() - t0;
            }
            Latencies.report("snapshot create (for comparison: a no-op journal round trip)", trivial);
            long[] noWrite = new long[n];
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                store.createSnapshot("v", "no write " + i);
                noWrite[i] = System.nanoTime() - t0;
            }
            Latencies.report("snapshot create without a write in between", noWrite);
            Latencies.report("4 KiB write, the first after a snapshot (after the first " + n / 5 + ")",
                    Arrays.copyOfRange(firstWrite, n / 5, n));
            Latencies.report("snapshot create all " + n + " (depth 1.." + n + ")", nanos);
            Latencies.report("snapshot create first 64 (depth 1..64)", Arrays.copyOf(nanos, Math.min(64, n)));
            Latencies.report("snapshot create last 64 (depth " + (n - 63) + ".." + n + ")", Arrays.copyOfRange(nanos, Math.max(0, n - 64), n));
            store.awaitMaintenance();
            System.out.println("automatic pack failures: " + store.maintenanceFailures().size() + ", " + store.autoPackStats());
        } finally {
            Chains.delete(dir);
        }
    }
}
