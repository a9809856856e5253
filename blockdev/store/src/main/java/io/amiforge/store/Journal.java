package io.amiforge.store;

import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.PhasedBackoffWaitStrategy;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.WaitStrategy;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import io.amiforge.blockdev.AmiforgeException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The store's single writer: every mutation (block writes, flushes, snapshots and every other
 * metadata change) is an event on an LMAX Disruptor ring, applied in order by one thread.
 * Event slots are pre-allocated; a whole block is applied from the writer's own segment, any
 * other write is copied into its slot's block-sized buffer (allocated on the slot's first such
 * use), so a write allocates nothing in steady state.
 *
 * <p>Group commit: a flush only marks its batch; when the handler reaches the end of a batch
 * ({@code endOfBatch}) it fsyncs every layer written since the last fsync once, then releases
 * every flush of the batch. A write returns when it is applied (in the page cache: it survives
 * the process dying); a flush returns when it is on disk.
 *
 * <p>Failures: a runtime exception fails only its own request. An {@link Error} (say an
 * OutOfMemoryError) in the journal thread fails its request with that Error and stops the journal:
 * every pending and later request fails with {@code StoreFailed} instead of waiting forever, and
 * nothing more is committed.
 */
final class Journal implements AutoCloseable {

    static final int WRITE = 1;
    static final int ZERO = 2;
    static final int FLUSH = 3;
    static final int OP = 4;
    private static final int RING = 1024;

    /** One pre-allocated ring slot. */
    static final class Event {
        int kind;
        VolumeState volume;
        long block;
        int offset;
        int length;
        /** The slot's own block-sized buffer (allocated on first use), kept for later writes. */
        MemorySegment buffer;
        /** What the write applies: {@link #buffer} holding a copy, or the writer's own segment (see {@link #write}). */
        MemorySegment data;
        Waiter waiter;
        boolean last;
        Callable<?> op;
        CompletableFuture<Object> future;

        void clear() {
            volume = null;
            data = null;
            waiter = null;
            op = null;
            future = null;
        }
    }

    /** A thread waiting for its request (reused per thread: nothing allocated per write). */
    static final class Waiter {
        final Thread thread = Thread.currentThread();
        volatile boolean done;
        volatile Throwable error;
    }

    private static final ThreadLocal<Waiter> WAITERS = ThreadLocal.withInitial(Waiter::new);

    private final Disruptor<Event> disruptor;
    private final RingBuffer<Event> ring;
    private final Map<Layer, Boolean> dirty = new IdentityHashMap<>();
    private final List<Waiter> flushWaiters = new ArrayList<>();
    private volatile Thread handlerThread;
    private final String name;
    /** The first Error the journal thread met; from then on every request fails with it. */
    private volatile Throwable fatal;
    /** Run at every group commit after the layers are fsynced (the store syncs a lazily committed catalog). */
    volatile Runnable afterForce;

    Journal(String name) {
        this.name = name;
        disruptor = new Disruptor<>(Event::new, RING, runnable -> {
            Thread t = new Thread(runnable, "amiforge-journal " + name);
            t.setDaemon(true);
            return t;
        }, ProducerType.MULTI, waitStrategy());
        disruptor.handleEventsWith((EventHandler<Event>) this::onEvent);
        disruptor.setDefaultExceptionHandler(new Failing());
        ring = disruptor.start();
    }

    /**
     * How the journal thread waits for the next event: {@code phased} (the default: spin 20 us,
     * yield 200 us, then block, so a request that follows the last one closely, such as a
     * snapshot right after a write, is picked up without a thread wake-up) or {@code blocking}
     * (a lock and condition only: no CPU spent while idle). System property
     * {@code amiforge.journal.wait}; any other value is refused, naming it.
     */
    static WaitStrategy waitStrategy() {
        String name = System.getProperty("amiforge.journal.wait", "phased");
        return switch (name) {
            case "blocking" -> new BlockingWaitStrategy();
            case "phased" -> PhasedBackoffWaitStrategy.withLock(20, 200, TimeUnit.MICROSECONDS);
            default -> throw new IllegalArgumentException("amiforge.journal.wait=" + name
                    + " is not one of phased, blocking");
        };
    }

    boolean onJournalThread() {
        return Thread.currentThread() == handlerThread;
    }

    /** Records that {@code layer} has data not yet fsynced (journal thread only). */
    void dirty(Layer layer) {
        dirty.put(layer, Boolean.TRUE);
    }

    /**
     * fsyncs every dirty layer (many side by side: {@link LayerSync}), then once each directory that
     * holds new files among them (not once per new layer: a flush after a thousand snapshots had a
     * thousand directory fsyncs). Journal thread only.
     */
    void forceAll() {
        List<Layer> newFiles = LayerSync.forceFiles(dirty.keySet());
        if (!newFiles.isEmpty()) {
            Set<Path> synced = new HashSet<>();
            for (Layer layer : newFiles) {
                if (synced.add(layer.directory())) {
                    layer.fsyncDirectory();
                }
            }
            newFiles.forEach(Layer::directorySynced);
        }
        dirty.clear();
        Runnable after = afterForce;
        if (after != null) {
            after.run();
        }
    }

    /** Forgets a layer that is being deleted (journal thread only). */
    void forget(Layer layer) {
        dirty.remove(layer);
    }

    private void onEvent(Event e, long sequence, boolean endOfBatch) {
        if (handlerThread == null) {
            handlerThread = Thread.currentThread();
        }
        try {
            switch (e.kind) {
                case WRITE, ZERO -> {
                    Waiter w = e.waiter;
                    try {
                        if (w.error == null) {
                            checkNotFailed();
                            e.volume.apply(e.block, e.offset, e.length, e.kind == ZERO ? null : e.data);
                        }
                    } catch (Throwable x) {
                        w.error = failWith(x);
                    }
                    if (e.last) {
                        w.done = true;
                        LockSupport.unpark(w.thread);
                    }
                }
                case FLUSH -> flushWaiters.add(e.waiter);
                case OP -> {
                    CompletableFuture<Object> future = e.future;
                    try {
                        checkNotFailed();
                        future.complete(e.op.call());
                    } catch (Throwable x) {
                        future.completeExceptionally(failWith(x));
                    }
                }
                default -> throw new IllegalStateException("unknown journal event " + e.kind);
            }
        } finally {
            e.clear();
        }
        if (endOfBatch && !flushWaiters.isEmpty()) {
            Throwable failure = null;
            try {
                checkNotFailed();
                forceAll(); // group commit: one fsync per dirty file for the whole batch
            } catch (Throwable x) {
                failure = failWith(x);
            }
            for (Waiter w : flushWaiters) {
                if (failure != null) {
                    w.error = failure;
                }
                w.done = true;
                LockSupport.unpark(w.thread);
            }
            flushWaiters.clear();
        }
    }

    /**
     * Records {@code x} if it is an {@link Error} (the journal fails every request from then on);
     * returns it. Runtime exceptions fail only their own request.
     */
    private Throwable failWith(Throwable x) {
        if (!(x instanceof RuntimeException) && fatal == null) {
            fatal = x;
        }
        return x;
    }

    /** Throws if the journal thread met an Error: nothing more is applied (a half-done change is never committed). */
    void checkNotFailed() {
        Throwable f = fatal;
        if (f != null) {
            throw new StoreException(AmiforgeException.Kind.FAILED, "StoreFailed",
                    "store " + name + " stopped after a fatal error in its journal thread: " + f, f);
        }
    }

    /** Anything escaping the handler: recorded as fatal, and the waiter of its event is woken with it. */
    private final class Failing implements ExceptionHandler<Event> {
        @Override
        public void handleEventException(Throwable x, long sequence, Event event) {
            fatal = fatal == null ? x : fatal;
            Waiter w = event.waiter;
            if (w != null) {
                w.error = x;
                w.done = true;
                LockSupport.unpark(w.thread);
            }
            if (event.future != null) {
                event.future.completeExceptionally(x);
            }
            for (Waiter f : flushWaiters) {
                f.error = x;
                f.done = true;
                LockSupport.unpark(f.thread);
            }
            flushWaiters.clear();
            event.clear();
        }

        @Override
        public void handleOnStartException(Throwable x) {
            fatal = x;
        }

        @Override
        public void handleOnShutdownException(Throwable x) {
            // the journal is stopping: nothing is waiting any more
        }
    }

    /**
     * Writes {@code src} at byte {@code offset} of {@code volume}, one event per block; waits until applied.
     * A whole aligned block of a segment the journal thread may access is applied straight from
     * {@code src} (the writer waits until every event of its write is applied, so the segment
     * stays valid): no copy into the ring, whose slots then never allocate their buffer. A
     * partial block, or a segment confined to the writer's thread, is copied into the slot.
     */
    void write(VolumeState volume, long offset, long length, MemorySegment src) {
        checkNotFailed();
        boolean zero = src == null;
        int bs = volume.blockSize;
        int shift = Integer.numberOfTrailingZeros(bs);
        Waiter w = WAITERS.get();
        w.done = false;
        w.error = null;
        long done = 0;
        while (done < length) {
            long pos = offset + done;
            long block = pos >>> shift;
            int within = (int) (pos & (bs - 1));
            int n = (int) Math.min(bs - within, length - done);
            long seq = ring.next();
            Event e = ring.get(seq);
            e.kind = zero ? ZERO : WRITE;
            e.volume = volume;
            e.block = block;
            e.offset = within;
            e.length = n;
            e.waiter = w;
            e.last = done + n >= length;
            if (!zero) {
                Thread handler = handlerThread;
                if (n == bs && handler != null && src.isAccessibleBy(handler)) {
                    e.data = src.asSlice(done, n);
                } else {
                    if (e.buffer == null || e.buffer.byteSize() < bs) {
                        e.buffer = Arena.ofAuto().allocate(Math.max(bs, 4096), 4096);
                    }
                    MemorySegment.copy(src, done, e.buffer, 0, n);
                    e.data = e.buffer;
                }
            }
            ring.publish(seq);
            done += n;
        }
        await(w);
    }

    /** Publishes a flush and waits until the batch it lands in has been fsynced. */
    void flush() {
        checkNotFailed();
        Waiter w = WAITERS.get();
        w.done = false;
        w.error = null;
        long seq = ring.next();
        Event e = ring.get(seq);
        e.kind = FLUSH;
        e.waiter = w;
        ring.publish(seq);
        await(w);
    }

    /** Runs {@code op} on the journal thread, in order with every write, and returns its result. */
    @SuppressWarnings("unchecked")
    <T> T call(Callable<T> op) {
        if (onJournalThread()) {
            try {
                return op.call();
            } catch (RuntimeException x) {
                throw x;
            } catch (Exception x) {
                throw new IllegalStateException(x);
            }
        }
        checkNotFailed();
        CompletableFuture<Object> future = new CompletableFuture<>();
        long seq = ring.next();
        Event e = ring.get(seq);
        e.kind = OP;
        e.op = op;
        e.future = future;
        ring.publish(seq);
        try {
            return (T) future.get();
        } catch (ExecutionException x) {
            Throwable cause = x.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(cause);
        } catch (InterruptedException x) {
            future.cancel(false);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for the store journal", x);
        }
    }

    private static void await(Waiter w) {
        int spins = 0;
        while (!w.done) {
            if (spins++ < 200) {
                Thread.onSpinWait();
            } else {
                LockSupport.park(w);
            }
        }
        Throwable error = w.error;
        if (error != null) {
            w.error = null;
            if (error instanceof Error err) {
                throw err;
            }
            throw (RuntimeException) error;
        }
    }

    @Override
    public void close() {
        try {
            call(() -> {
                forceAll();
                return null;
            });
        } finally {
            disruptor.shutdown();
        }
    }
}
