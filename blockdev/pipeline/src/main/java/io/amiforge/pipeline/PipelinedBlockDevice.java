package io.amiforge.pipeline;

import io.amiforge.blockdev.AbstractBlockDevice;
import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.BlockDeviceException;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.LockSupport;

/**
 * A {@link RequestPipeline} behind the synchronous {@link BlockDevice} contract: each call
 * submits one request and parks the calling thread until its completion, so a synchronous
 * front end (the simulator's INT 13h disk) shares the pipeline, and its ordering and
 * batching, with asynchronous ones (the NBD server). Failures are the device's own
 * exceptions, rethrown on the calling thread. Allocates nothing per call; segments confined
 * to the calling thread go through a per-thread 1 MiB bounce buffer.
 */
public final class PipelinedBlockDevice extends AbstractBlockDevice {

    private static final int BOUNCE = 1 << 20;
    private static final ThreadLocal<Waiter> WAITERS = ThreadLocal.withInitial(Waiter::new);

    private final RequestPipeline pipeline;
    private final boolean ownsDevice;

    private PipelinedBlockDevice(RequestPipeline pipeline, boolean ownsDevice) {
        super(pipeline.device().name(), pipeline.device().size(), pipeline.device().blockSize(),
                pipeline.device().isReadOnly());
        this.pipeline = pipeline;
        this.ownsDevice = ownsDevice;
    }

    /** Starts a new pipeline over {@code device}; {@link #close()} stops it and closes the device. */
    public static PipelinedBlockDevice open(BlockDevice device) {
        return new PipelinedBlockDevice(RequestPipeline.start(device), true);
    }

    /** Uses a pipeline shared with other front ends; {@link #close()} closes neither it nor the device. */
    public static PipelinedBlockDevice over(RequestPipeline pipeline) {
        return new PipelinedBlockDevice(pipeline, false);
    }

    public RequestPipeline pipeline() {
        return pipeline;
    }

    @Override
    public Durability durability() {
        return pipeline.device().durability();
    }

    @Override
    protected void doRead(long offset, MemorySegment dst) {
        Waiter w = WAITERS.get();
        if (pipeline.canAccess(dst)) {
            pipeline.read(offset, dst, w.arm(), null, 0);
            w.await();
            return;
        }
        // the caller's segment is confined to its thread: go through a bounce buffer
        for (long done = 0; done < dst.byteSize(); done += BOUNCE) {
            long n = Math.min(BOUNCE, dst.byteSize() - done);
            MemorySegment bounce = w.bounce().asSlice(0, n);
            pipeline.read(offset + done, bounce, w.arm(), null, 0);
            w.await();
            MemorySegment.copy(bounce, 0, dst, done, n);
        }
    }

    @Override
    protected void doWrite(long offset, MemorySegment src) {
        Waiter w = WAITERS.get();
        if (pipeline.canAccess(src)) {
            pipeline.write(offset, src, 0, w.arm(), null, 0);
            w.await();
            return;
        }
        for (long done = 0; done < src.byteSize(); done += BOUNCE) {
            long n = Math.min(BOUNCE, src.byteSize() - done);
            MemorySegment bounce = w.bounce().asSlice(0, n);
            MemorySegment.copy(src, done, bounce, 0, n);
            pipeline.write(offset + done, bounce, 0, w.arm(), null, 0);
            w.await();
        }
    }

    @Override
    protected void doFlush() {
        Waiter w = WAITERS.get().arm();
        pipeline.flush(w, null, 0);
        w.await();
    }

    @Override
    protected void doDiscard(long offset, long length) {
        Waiter w = WAITERS.get().arm();
        pipeline.submit(BlockOp.DISCARD, offset, length, null, 0, null, w, null, 0);
        w.await();
    }

    @Override
    protected void doClose() {
        if (ownsDevice) {
            pipeline.close();
            pipeline.device().close();
        }
    }

    /** One per calling thread: parks it until the consumer thread completes its request. */
    private static final class Waiter implements BlockCompletion {
        private final Thread owner = Thread.currentThread();
        private volatile boolean done;
        private Throwable failure;
        private MemorySegment bounce;

        MemorySegment bounce() {
            if (bounce == null) {
                bounce = java.lang.foreign.Arena.ofAuto().allocate(BOUNCE, 4096);
            }
            return bounce;
        }

        Waiter arm() {
            done = false;
            failure = null;
            return this;
        }

        @Override
        public void completed(BlockRequest request, Throwable failure) {
            this.failure = failure;
            done = true; // publishes failure
            LockSupport.unpark(owner);
        }

        void await() {
            boolean interrupted = false;
            while (!done) {
                LockSupport.park(this);
                if (Thread.interrupted()) {
                    interrupted = true; // the request is in the ring: we must see it through
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            Throwable f = failure;
            if (f == null) {
                return;
            }
            switch (f) {
                case AmiforgeException a -> throw a;
                case Error e -> throw e;
                default -> throw new BlockDeviceException.Io("pipeline", "request failed", f);
            }
        }
    }
}
