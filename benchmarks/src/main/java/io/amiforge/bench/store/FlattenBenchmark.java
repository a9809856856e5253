package io.amiforge.bench.store;

import io.amiforge.store.SnapshotStore;
import io.amiforge.store.Volume;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
 * Flatten of a 64-deep 1 GiB chain (into the volume's own layer) and export of it to a raw file
 * (1 MiB reads through the chain, positional writes); one shot per iteration, a fresh chain
 * each time. MiB/s = 1024 / seconds. {@code strategy} is WRITE-READ by registered name (see
 * {@link StrategyParams} for plug-ins).
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
public class FlattenBenchmark {

    @Param({"row-flat", "cow-flat"})
    public String strategy;

    private SnapshotStore store;
    private List<String> snapshots;
    private Path out;

    @Setup(Level.Iteration)
    public void setUp() throws IOException {
        store = Chains.Shared.store();
        snapshots = Chains.build(store, Chains.Shared.base(), "flat", StrategyParams.options(strategy), 64);
        out = Chains.tempDir("export").resolve("export.raw");
    }

    @TearDown(Level.Iteration)
    public void tearDown() throws IOException {
        Chains.Shared.drop("flat", snapshots);
        Chains.delete(out.getParent());
    }

    @Benchmark
    public void flatten() {
        store.flatten("flat");
    }

    @Benchmark
    public long export() throws IOException {
        try (Volume v = store.openVolume("flat"); Arena arena = Arena.ofConfined();
                FileChannel file = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            MemorySegment buf = arena.allocate(1 << 20, 4096);
            for (long pos = 0; pos < v.size(); pos += buf.byteSize()) {
                v.read(pos, buf);
                ByteBuffer bb = buf.asByteBuffer();
                while (bb.hasRemaining()) {
                    file.write(bb, pos + bb.position());
                }
            }
            return Files.size(out);
        }
    }
}
