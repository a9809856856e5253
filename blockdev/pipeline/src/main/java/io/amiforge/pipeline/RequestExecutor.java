package io.amiforge.pipeline;

import com.lmax.disruptor.EventHandler;
import io.amiforge.blockdev.BlockDevice;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The consumer side of a {@link RequestPipeline}: collects each Disruptor batch, executes it in
 * order against the device, merges runs of adjacent reads or writes through one staging
 * buffer, and group-commits FUA requests. Runs only on the pipeline's consumer thread.
 */
final class RequestExecutor implements EventHandler<BlockRequest> {

    private static final int ZERO_CHUNK = 1 << 20;

    private final BlockDevice device;
    private final BlockRequest[] batch;
    private final boolean[] deferred;
    private final int mergeLimit;
    private final MemorySegment staging;
    private final MemorySegment zeros;
    private final ReadWorkers readers;
    private final Throwable[] failures;
    private int size;

    RequestExecutor(BlockDevice device, int maxBatch, int mergeLimit, int readThreads, String name) {
        this.device = device;
        this.readers = readThreads > 0 ? new ReadWorkers(device, readThreads, name) : null;
        this.failures = new Throwable[maxBatch];
        this.batch = new BlockRequest[maxBatch];
        this.deferred = new boolean[maxBatch];
        this.mergeLimit = mergeLimit;
        Arena arena = Arena.ofAuto();
        this.staging = mergeLimit == 0 ? MemorySegment.NULL : arena.allocate(mergeLimit, 4096);
        this.zeros = arena.allocate(ZERO_CHUNK, 4096);
    }

    @Override
    public void onEvent(BlockRequest request, long sequence, boolean endOfBatch) {
        batch[size++] = request;
        if (endOfBatch || size == batch.length) {
            try {
                execute();
            } finally {
                for (int i = 0; i < size; i++) {
                    batch[i].clear();
                    batch[i] = null;
                    deferred[i] = false;
                }
                size = 0;
            }
        }
    }

    /** Executes batch[0, size) in order; slots stay valid until onEvent returns. */
    private void execute() {
        boolean dirtySinceFlush = true; // conservative: writes may precede this batch
        boolean anyDeferred = false;
        int i = 0;
        while (i < size) {
            BlockRequest r = batch[i];
            switch (r.op) {
                case READ, WRITE -> {
                    int end = mergeEnd(i);
                    int reads = r.op == BlockOp.READ && end - i == 1 ? readRunEnd(i) : i;
                    if (reads - i > 1) {
                        runParallelReads(i, reads);
                        end = reads;
                    } else if (end - i > 1) {
                        runMerged(i, end);
                    } else {
                        runOne(r, i);
                    }
                    if (r.op == BlockOp.WRITE) {
                        dirtySinceFlush = true;
                    }
                    for (int k = i; k < end; k++) {
                        anyDeferred |= deferred[k];
                    }
                    i = end;
                    continue;
                }
                case FLUSH -> {
                    Throwable failure = null;
                    if (dirtySinceFlush) {
                        failure = flushQuietly();
                        dirtySinceFlush = failure != null;
                    }
                    // this flush also makes every earlier FUA request of the batch durable
                    if (anyDeferred) {
                        completeDeferred(i, failure);
                        anyDeferred = false;
                    }
                    complete(r, failure);
                }
                case DISCARD, WRITE_ZEROES -> {
                    runOne(r, i);
                    dirtySinceFlush = true;
                    anyDeferred |= deferred[i];
                }
                case TASK -> runOne(r, i);
            }
            i++;
        }
        if (anyDeferred) {
            completeDeferred(size, flushQuietly());
        }
    }

    /** End (exclusive) of the run of reads starting at {@code start} (none adjacent to the next). */
    private int readRunEnd(int start) {
        if (readers == null) {
            return start + 1;
        }
        int end = start + 1;
        while (end < size && batch[end].op == BlockOp.READ) {
            end++;
        }
        return end;
    }

    /** Reads batch[start, end) on the reader threads and the consumer together, then completes them in order. */
    private void runParallelReads(int start, int end) {
        readers.run(batch, failures, start, end);
        for (int k = start; k < end; k++) {
            Throwable failure = failures[k];
            failures[k] = null;
            complete(batch[k], failure);
        }
    }

    void stop() {
        if (readers != null) {
            readers.stop();
        }
    }

    /** End (exclusive) of the run of mergeable requests that starts at {@code start}. */
    private int mergeEnd(int start) {
        BlockRequest first = batch[start];
        long total = first.length;
        long next = first.offset + first.length;
        int end = start + 1;
        if (mergeLimit == 0 || total > mergeLimit / 2) {
            return end;
        }
        while (end < size) {
            BlockRequest r = batch[end];
            if (r.op != first.op || r.offset != next || total + r.length > mergeLimit) {
                break;
            }
            total += r.length;
            next += r.length;
            end++;
        }
        return end;
    }

    private void runMerged(int start, int end) {
        BlockRequest first = batch[start];
        long offset = first.offset;
        long total = 0;
        for (int k = start; k < end; k++) {
            total += batch[k].length;
        }
        MemorySegment window = staging.asSlice(0, total);
        try {
            if (first.op == BlockOp.READ) {
                device.read(offset, window);
                long at = 0;
                for (int k = start; k < end; k++) {
                    BlockRequest r = batch[k];
                    MemorySegment.copy(window, at, r.segment, 0, r.length);
                    at += r.length;
                }
            } else {
                long at = 0;
                for (int k = start; k < end; k++) {
                    BlockRequest r = batch[k];
                    MemorySegment.copy(r.segment, 0, window, at, r.length);
                    at += r.length;
                }
                device.write(offset, window);
            }
        } catch (RuntimeException e) {
            // run them one by one, so each request gets its own outcome
            for (int k = start; k < end; k++) {
                runOne(batch[k], k);
            }
            return;
        }
        for (int k = start; k < end; k++) {
            finish(batch[k], k);
        }
    }

    private void runOne(BlockRequest r, int index) {
        Throwable failure = null;
        try {
            switch (r.op) {
                case READ -> device.read(r.offset, r.segment);
                case WRITE -> device.write(r.offset, r.segment);
                case DISCARD -> device.discard(r.offset, r.length);
                case WRITE_ZEROES -> writeZeroes(r);
                case TASK -> r.task.run(device, r);
                case FLUSH -> device.flush();
            }
        } catch (Throwable t) {
            failure = t;
        }
        if (failure != null) {
            complete(r, failure);
        } else {
            finish(r, index);
        }
    }

    /** Completes a successful request now, or defers it to the batch's flush if it asked for FUA. */
    private void finish(BlockRequest r, int index) {
        if ((r.flags & BlockRequest.FUA) != 0 && r.op != BlockOp.READ && r.op != BlockOp.TASK) {
            deferred[index] = true;
        } else {
            complete(r, null);
        }
    }

    private void writeZeroes(BlockRequest r) {
        if ((r.flags & BlockRequest.NO_HOLE) == 0) {
            device.discard(r.offset, r.length);
            return;
        }
        if (r.offset < 0 || r.length < 0 || r.offset > device.size() - r.length) {
            device.write(r.offset, zeros.asSlice(0, Math.min(r.length, ZERO_CHUNK))); // throws OutOfRange
            return;
        }
        long done = 0;
        while (done < r.length) {
            long n = Math.min(ZERO_CHUNK, r.length - done);
            device.write(r.offset + done, zeros.asSlice(0, n));
            done += n;
        }
    }

    private Throwable flushQuietly() {
        try {
            device.flush();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    private void completeDeferred(int before, Throwable failure) {
        for (int k = 0; k < before; k++) {
            if (deferred[k]) {
                deferred[k] = false;
                complete(batch[k], failure);
            }
        }
    }

    private static void complete(BlockRequest r, Throwable failure) {
        try {
            r.completion.completed(r, failure);
        } catch (Throwable t) {
            // a front end's callback failed: the pipeline must keep serving everyone else
            Thread.currentThread().getUncaughtExceptionHandler().uncaughtException(Thread.currentThread(), t);
        }
    }
}
