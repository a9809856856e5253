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
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
 * Random 4 KiB reads and writes of a 1 GiB volume at chain depths 1, 8, 32, 64 (each layer
 * rewrote 1% of random blocks), for every strategy, and the raw FileChannel read of the same
 * data (a raw file with the volume's contents) in the same run. Everything is in the page cache.
 * {@code strategy} is WRITE-READ by registered name; a plug-in's is given with {@code -p} (see
 * {@link StrategyParams}). The tear-down prints the volume's statistics, strategy counters included.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class ChainReadBenchmark {

    @Param({"1", "8", "32", "64"})
    public int depth;

    @Param({"row-flat", "row-walk", "cow-flat", "cow-walk"})
    public String strategy;

    private SnapshotStore store;
    private java.util.List<String> snapshots;
    private Volume volume;
    private FileChannel raw;
    private MemorySegment buf;
    private ByteBuffer rawBuf;
    private long[] blocks;
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        store = Chains.Shared.store();
        SnapshotInfo base = Chains.Shared.base();
        VolumeOptions options = StrategyParams.options(strategy);
        snapshots = Chains.build(store, base, "bench", options, depth);
        volume = store.openVolume("bench");
        Path file = Chains.Shared.raw(depth);
        raw = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        buf = Arena.ofAuto().allocate(Chains.BLOCK, 4096);
        rawBuf = buf.asByteBuffer();
        blocks = Chains.randomBlocks(1 << 20, 42);
        // warm the page cache and check the volume reads what the raw file holds
        MemorySegment check = Arena.ofAuto().allocate(Chains.BLOCK, 4096);
        for (int i = 0; i < 2000; i++) {
            long b = blocks[i];
            volume.read(b * Chains.BLOCK, buf);
            check.asByteBuffer().clear();
            raw.read(check.asByteBuffer(), b * Chains.BLOCK);
            if (buf.mismatch(check) != -1) {
                throw new IllegalStateException("volume and raw file differ at block " + b);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        System.out.println("\nstats " + strategy + " depth " + depth + ": " + volume.stats());
        volume.close();
        raw.close();
        Chains.Shared.drop("bench", snapshots);
    }

    private long nextBlock() {
        long b = blocks[next];
        next = (next + 1) & (blocks.length - 1);
        return b;
    }

    @Benchmark
    public MemorySegment volumeRandomRead() {
        volume.read(nextBlock() * Chains.BLOCK, buf);
        return buf;
    }

    @Benchmark
    public ByteBuffer rawFileChannelRandomRead() throws IOException {
        rawBuf.clear();
        raw.read(rawBuf, nextBlock() * Chains.BLOCK);
        return rawBuf;
    }

    @Benchmark
    public MemorySegment volumeRandomWrite() {
        volume.write(nextBlock() * Chains.BLOCK, buf);
        return buf;
    }

    @Benchmark
    public ByteBuffer rawFileChannelRandomWrite() throws IOException {
        rawBuf.clear();
        raw.write(rawBuf, nextBlock() * Chains.BLOCK);
        return rawBuf;
    }
}
