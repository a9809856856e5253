package io.amiforge.bench.store;

import io.amiforge.store.SnapshotStore;
import io.amiforge.store.Volume;
import io.amiforge.store.VolumeOptions;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Snapshot-create latency of a sparse volume of 1 GiB or 1 TiB at chain depth 1 or 64 (each
 * earlier layer wrote a few blocks). Every created snapshot is deleted again after the
 * invocation, so the depth stays what the parameter says. The latency includes the durable
 * catalog commit (fsync of the written layer, write + fsync + rename of the catalog, fsync of
 * the directory). {@code write} is a registered write strategy (see {@link StrategyParams} for
 * plug-ins).
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class SnapshotCreateBenchmark {

    @Param({"1073741824", "1099511627776"})
    public long size;

    @Param({"1", "64"})
    public int depth;

    @Param({"row", "cow"})
    public String write;

    private Path dir;
    private SnapshotStore store;
    private String last;
    /** Kept open: a snapshot of a volume no handle holds would first take its lock and open it. */
    private Volume held;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        StrategyParams.loadPlugins();
        dir = Chains.tempDir("snapshot-create");
        store = SnapshotStore.open(dir.resolve("store"));
        try (Volume v = store.createVolume("sparse", size, VolumeOptions.defaults().writeStrategy(write));
                Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(4096);
            for (int layer = 1; layer < depth; layer++) {
                buf.fill((byte) layer);
                v.write((layer * 7919L % (size / 4096)) * 4096, buf);
                store.createSnapshot("sparse", "layer " + layer);
            }
            v.flush();
        }
        held = store.openVolume("sparse");
    }

    @TearDown(Level.Invocation)
    public void dropSnapshot() {
        if (last != null) {
            store.deleteSnapshot(last);
            last = null;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        held.close();
        store.close();
        Chains.delete(dir);
    }

    @Benchmark
    public String createSnapshot() {
        last = store.createSnapshot("sparse", "bench").id();
        return last;
    }

    /** For the record: what the same commit costs without the snapshot (catalog attribute write). */
    @Benchmark
    public List<String> catalogCommitOnly() {
        List<String> out = new ArrayList<>(1);
        store.setSnapshotAttribute(store.listSnapshots().isEmpty() ? null : store.listSnapshots().getFirst().id(), "k", "v");
        out.add("k");
        return out;
    }
}
