package io.amiforge.pipeline;

import com.lmax.disruptor.BatchEventProcessor;
import com.lmax.disruptor.BatchEventProcessorBuilder;
import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.PhasedBackoffWaitStrategy;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.WaitStrategy;
import com.lmax.disruptor.YieldingWaitStrategy;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.BlockDeviceException;
import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The one request path to a {@link BlockDevice}: front ends {@link #submit} block requests from
 * any thread into a Disruptor ring of pre-allocated {@link BlockRequest} slots; one consumer
 * thread executes them against the device in submission order and calls each request's
 * {@link BlockCompletion}.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li><b>Order.</b> Requests execute in the order their {@code submit} calls returned (for
 *       one submitting thread, program order). A {@link BlockOp#FLUSH} therefore covers every
 *       write whose submit returned before the flush was submitted.</li>
 *   <li><b>Batching.</b> The consumer takes every request available at once (up to
 *       {@code maxBatch}). Runs of adjacent reads, or of adjacent writes, whose total is at most
 *       {@code mergeLimit} bytes become one device call through a staging buffer. A write with
 *       {@link BlockRequest#FUA} completes only after a flush, and all FUA requests of one batch
 *       share that flush (group commit); adjacent FLUSH requests with no write between share
 *       one device flush. A run of reads with nothing else between them may execute
 *       concurrently on helper reader threads (they cannot conflict), so reads that wait for
 *       the disk overlap; their completions are still called in order on the consumer.</li>
 *   <li><b>Completion.</b> Exactly once per accepted request, on the consumer thread, with
 *       the failure the device threw or null. A request submitted after {@link #close()}
 *       completes at once, on the submitting thread, with {@link BlockDeviceException.Closed}.</li>
 *   <li><b>Back-pressure.</b> When all slots are in use, {@code submit} waits for one.</li>
 * </ul>
 * The pipeline does not own the device: {@link #close()} drains and stops the consumer, and
 * leaves the device open.
 */
public final class RequestPipeline implements AutoCloseable {

    /** Default number of slots in the ring. */
    public static final int DEFAULT_SLOTS = 1024;
    /** Default largest merged transfer (bytes); 0 disables merging. */
    public static final int DEFAULT_MERGE_LIMIT = 256 * 1024;
    /** Default helper threads that run a batch's independent reads concurrently. */
    public static final int DEFAULT_READ_THREADS = 3;

    private final BlockDevice device;
    private final RingBuffer<BlockRequest> ring;
    private final BatchEventProcessor<BlockRequest> processor;
    private final Thread thread;
    private final AtomicInteger submitters = new AtomicInteger();
    private volatile boolean closed;

    private final RequestExecutor executor;

    private RequestPipeline(BlockDevice device, int slots, int mergeLimit, int readThreads, Wait wait,
                            String threadName) {
        this.device = device;
        this.ring = RingBuffer.createMultiProducer(BlockRequest::new, slots, wait.strategy());
        this.executor = new RequestExecutor(device, slots, mergeLimit, readThreads, threadName);
        this.processor = new BatchEventProcessorBuilder().setMaxBatchSize(slots)
                .build(ring, ring.newBarrier(), executor);
        ring.addGatingSequences(processor.getSequence());
        this.thread = Thread.ofPlatform().name(threadName).daemon(true).unstarted(processor);
        thread.start();
    }

    /**
     * How the consumer waits for work. {@link #start(BlockDevice, int, int, int)} takes it from
     * the system property {@code amiforge.pipeline.wait} ({@code phased}, {@code blocking},
     * {@code yielding}; default {@code phased}).
     */
    public enum Wait {
        /** Spin 20 us, yield 200 us, then block on a lock: a request soon after the last needs no wake-up. */
        PHASED,
        /** A lock and condition only: the least CPU while waiting, a wake-up per idle period. */
        BLOCKING,
        /** Never sleeps; only for dedicated cores. */
        YIELDING;

        /** The mode the system property {@code amiforge.pipeline.wait} names, or {@code fallback} without it. */
        public static Wait configured(Wait fallback) {
            String name = System.getProperty("amiforge.pipeline.wait");
            if (name == null) {
                return fallback;
            }
            return switch (name) {
                case "blocking" -> BLOCKING;
                case "yielding" -> YIELDING;
                case "phased" -> PHASED;
                default -> throw new IllegalArgumentException("amiforge.pipeline.wait=" + name
                        + " is not one of phased, blocking, yielding");
            };
        }

        WaitStrategy strategy() {
            return switch (this) {
                case BLOCKING -> new BlockingWaitStrategy();
                case YIELDING -> new YieldingWaitStrategy();
                case PHASED -> PhasedBackoffWaitStrategy.withLock(20, 200, TimeUnit.MICROSECONDS);
            };
        }
    }

    /** Starts a pipeline with the default ring size, merge limit and reader threads. */
    public static RequestPipeline start(BlockDevice device) {
        return start(device, DEFAULT_SLOTS, DEFAULT_MERGE_LIMIT, DEFAULT_READ_THREADS);
    }

    /** Starts a pipeline with the default number of reader threads. */
    public static RequestPipeline start(BlockDevice device, int slots, int mergeLimit) {
        return start(device, slots, mergeLimit, DEFAULT_READ_THREADS);
    }

    /**
     * Starts a pipeline over {@code device} with its consumer thread.
     *
     * @param slots      ring size, a power of two (at least 2)
     * @param mergeLimit largest merged transfer in bytes, 0 to never merge
     * @param readThreads helper threads for runs of independent reads (0: the consumer reads alone)
     */
    public static RequestPipeline start(BlockDevice device, int slots, int mergeLimit, int readThreads) {
        return start(device, slots, mergeLimit, readThreads, Wait.configured(Wait.PHASED));
    }

    /**
     * Like {@link #start(BlockDevice, int, int, int)}, with the consumer waiting for work as
     * {@code wait} says instead of as the system property does.
     */
    public static RequestPipeline start(BlockDevice device, int slots, int mergeLimit, int readThreads, Wait wait) {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(wait, "wait");
        if (slots < 2 || Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("ring size " + slots + " is not a power of two >= 2");
        }
        if (mergeLimit < 0 || mergeLimit > (64 << 20)) {
            throw new IllegalArgumentException("merge limit " + mergeLimit + " is outside [0, 64 MiB]");
        }
        if (readThreads < 0 || readThreads > 64) {
            throw new IllegalArgumentException("reader threads " + readThreads + " is outside [0, 64]");
        }
        return new RequestPipeline(device, slots, mergeLimit, readThreads, wait, "amiforge-pipeline-" + device.name());
    }

    /** The device requests run against. */
    public BlockDevice device() {
        return device;
    }

    /** Reads {@code dst.byteSize()} bytes at {@code offset} into {@code dst}. */
    public void read(long offset, MemorySegment dst, BlockCompletion completion, Object attachment, long tag) {
        submit(BlockOp.READ, offset, dst.byteSize(), dst, 0, null, completion, attachment, tag);
    }

    /** Writes {@code src} at {@code offset}; {@code flags} may hold {@link BlockRequest#FUA}. */
    public void write(long offset, MemorySegment src, int flags, BlockCompletion completion, Object attachment, long tag) {
        submit(BlockOp.WRITE, offset, src.byteSize(), src, flags, null, completion, attachment, tag);
    }

    /** Flushes every write submitted before this call. */
    public void flush(BlockCompletion completion, Object attachment, long tag) {
        submit(BlockOp.FLUSH, 0, 0, null, 0, null, completion, attachment, tag);
    }

    /** Runs {@code task} on the consumer thread, after every request submitted before it. */
    public void task(BlockTask task, long offset, long length, MemorySegment segment,
                     BlockCompletion completion, Object attachment, long tag) {
        submit(BlockOp.TASK, offset, length, segment, 0, Objects.requireNonNull(task, "task"),
                completion, attachment, tag);
    }

    /**
     * Submits one request. Range and permission checks are the device's: a bad request
     * completes with the device's exception.
     */
    public void submit(BlockOp op, long offset, long length, MemorySegment segment, int flags,
                       BlockTask task, BlockCompletion completion, Object attachment, long tag) {
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(completion, "completion");
        submitters.incrementAndGet();
        try {
            if (closed) {
                completeClosed(op, offset, length, segment, flags, task, completion, attachment, tag);
                return;
            }
            long sequence = ring.next();
            BlockRequest slot = ring.get(sequence);
            slot.op = op;
            slot.offset = offset;
            slot.length = length;
            slot.segment = segment;
            slot.flags = flags;
            slot.task = task;
            slot.completion = completion;
            slot.attachment = attachment;
            slot.tag = tag;
            ring.publish(sequence);
        } finally {
            submitters.decrementAndGet();
        }
    }

    private void completeClosed(BlockOp op, long offset, long length, MemorySegment segment, int flags,
                                BlockTask task, BlockCompletion completion, Object attachment, long tag) {
        BlockRequest view = new BlockRequest(); // only after close: not a hot path
        view.op = op;
        view.offset = offset;
        view.length = length;
        view.segment = segment;
        view.flags = flags;
        view.task = task;
        view.attachment = attachment;
        view.tag = tag;
        completion.completed(view, new BlockDeviceException.Closed("request pipeline of " + device.name()));
    }

    /**
     * Whether the consumer thread may touch {@code segment}. A segment of a confined arena
     * owned by another thread may not: copy it into a shared or global segment first.
     */
    public boolean canAccess(MemorySegment segment) {
        return segment.isAccessibleBy(thread);
    }

    /** Requests submitted and not yet taken by the consumer (a snapshot, for monitoring). */
    public long backlog() {
        return ring.getCursor() - processor.getSequence().get();
    }

    /**
     * Refuses new requests, waits until every accepted request has completed, then stops the
     * consumer thread. Idempotent. Does not close or flush the device.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        while (submitters.get() != 0) { // a submit in progress finishes in microseconds
            LockSupport.parkNanos(10_000);
        }
        long last = ring.getCursor();
        while (processor.getSequence().get() < last && thread.isAlive()) {
            LockSupport.parkNanos(50_000);
        }
        processor.halt();
        executor.stop();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "RequestPipeline(" + device.name() + ")";
    }
}
