package io.amiforge.bench.qcow2;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.ImageFormats;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Random 4 KiB reads from a qcow2 image through {@link BlockDevice} (page cache warm), beside
 * the raw path: the same reads with FileChannel on the raw file the image was made from.
 * {@link Qcow2VersusQemu} compares against {@code qemu-img bench} with the same offsets.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class Qcow2RandomReadBenchmark {

    private static final int READS = 4096;

    @Param("268435456")
    long size;

    BlockDevice qcow2;
    BlockDevice raw;
    MemorySegment buffer;
    long[] offsets;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "amiforge-bench-qcow2");
        Files.createDirectories(dir);
        Qcow2Workload workload = new Qcow2Workload(dir, size);
        qcow2 = ImageFormats.open(workload.qcow2, true);
        raw = ImageFormats.open(workload.raw, true);
        buffer = Arena.ofAuto().allocate(4096, 4096);
        Random random = new Random(7);
        offsets = new long[READS];
        for (int i = 0; i < READS; i++) {
            offsets[i] = (long) random.nextInt((int) (size / 4096)) * 4096;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        qcow2.close();
        raw.close();
    }

    @Benchmark
    @OperationsPerInvocation(READS)
    public void qcow2Random4k() {
        for (long offset : offsets) {
            qcow2.read(offset, buffer);
        }
    }

    @Benchmark
    @OperationsPerInvocation(READS)
    public void rawFileRandom4k() {
        for (long offset : offsets) {
            raw.read(offset, buffer);
        }
    }
}
