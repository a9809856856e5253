package io.amiforge.bench.store;

import io.amiforge.store.ChangedBlocks;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.VolumeOptions;
import java.io.IOException;
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

/** Changed-block listing between snapshots 1, 8 and 63 layers apart on the 64-deep 1 GiB chain. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
public class ChangedBlocksBenchmark {

    @Param({"1", "8", "63"})
    public int distance;

    private SnapshotStore store;
    private List<String> snapshots;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        store = Chains.Shared.store();
        snapshots = Chains.build(store, Chains.Shared.base(), "diff", VolumeOptions.defaults(), 64);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Chains.Shared.drop("diff", snapshots);
    }

    @Benchmark
    public ChangedBlocks diff() {
        int to = snapshots.size() - 1;
        return store.diff(snapshots.get(to - distance), snapshots.get(to));
    }
}
