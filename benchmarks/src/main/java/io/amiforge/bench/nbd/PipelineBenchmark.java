package io.amiforge.bench.nbd;

import io.amiforge.blockdev.FileBlockDevice;
import io.amiforge.pipeline.BlockCompletion;
import io.amiforge.pipeline.BlockRequest;
import io.amiforge.pipeline.PipelinedBlockDevice;
import io.amiforge.pipeline.RequestPipeline;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * 4 KiB reads of a page-cached 64 MiB raw file at scattered offsets: direct
 * {@link FileBlockDevice} calls (the raw path) against the same reads through the
 * {@link RequestPipeline}, one at a time ({@link PipelinedBlockDevice}) and 16 in flight.
 * The ratio pipelined/direct is the cost of the pipeline's thread hand-off.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class PipelineBenchmark {

    private static final long SIZE = 64L << 20;
    private static final long STEP = 4096L * 10007;

    private Path file;
    private FileBlockDevice device;
    private RequestPipeline pipeline;
    private PipelinedBlockDevice pipelined;
    private MemorySegment buffer;
    private MemorySegment[] buffers;
    private long offset;
    private final Batch batch = new Batch();

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        file = Files.createTempFile("pipeline-bench", ".raw");
        byte[] chunk = new byte[1 << 20];
        new java.util.Random(1).nextBytes(chunk);
        try (var out = Files.newOutputStream(file)) {
            for (long at = 0; at < SIZE; at += chunk.length) {
                out.write(chunk);
            }
        }
        device = FileBlockDevice.open(file, true);
        pipeline = RequestPipeline.start(device);
        pipelined = PipelinedBlockDevice.over(pipeline);
        Arena arena = Arena.ofShared();
        buffer = arena.allocate(4096, 4096);
        buffers = new MemorySegment[16];
        for (int i = 0; i < buffers.length; i++) {
            buffers[i] = arena.allocate(4096, 4096);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        pipelined.close();
        pipeline.close();
        device.close();
        Files.deleteIfExists(file);
    }

    private long nextOffset() {
        offset = (offset + STEP) % SIZE;
        return offset;
    }

    @Benchmark
    public MemorySegment direct() {
        device.read(nextOffset(), buffer);
        return buffer;
    }

    @Benchmark
    public MemorySegment pipelinedOneAtATime() {
        pipelined.read(nextOffset(), buffer);
        return buffer;
    }

    @Benchmark
    @OperationsPerInvocation(16)
    public void directDepth16() {
        for (MemorySegment b : buffers) {
            device.read(nextOffset(), b);
        }
    }

    @Benchmark
    @OperationsPerInvocation(16)
    public void pipelinedDepth16() {
        batch.arm(buffers.length);
        for (MemorySegment b : buffers) {
            pipeline.read(nextOffset(), b, batch, null, 0);
        }
        batch.await();
    }

    /** Waits for a known number of completions without allocating. */
    private static final class Batch implements BlockCompletion {
        private final AtomicInteger left = new AtomicInteger();
        private volatile Thread waiter;

        void arm(int n) {
            waiter = Thread.currentThread();
            left.set(n);
        }

        @Override
        public void completed(BlockRequest request, Throwable failure) {
            if (left.decrementAndGet() == 0) {
                LockSupport.unpark(waiter);
            }
        }

        void await() {
            while (left.get() > 0) {
                LockSupport.park(this);
            }
        }
    }
}
