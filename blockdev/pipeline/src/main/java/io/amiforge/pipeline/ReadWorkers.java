package io.amiforge.pipeline;

import io.amiforge.blockdev.BlockDevice;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Helper threads that let the consumer run a run of independent reads concurrently, so reads
 * that miss the page cache (or wait on a slow medium) overlap instead of queueing behind each
 * other. The consumer takes part itself and takes items from a shared counter, so when the
 * data is cached it does most of the work before a helper has even woken. Nothing is
 * allocated per run.
 */
final class ReadWorkers {

    private final BlockDevice device;
    private final Thread[] threads;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile int generation;
    private volatile boolean stopped;
    private volatile Thread waiter;
    private BlockRequest[] batch;
    private Throwable[] failures;
    private int end;

    ReadWorkers(BlockDevice device, int count, String name) {
        this.device = device;
        this.threads = new Thread[count];
        for (int i = 0; i < count; i++) {
            threads[i] = Thread.ofPlatform().name(name + "-reader-" + i).daemon(true).start(this::work);
        }
    }

    /** Runs the reads batch[start, end) and stores each failure (or null) in failures[index]. */
    void run(BlockRequest[] batch, Throwable[] failures, int start, int end) {
        this.batch = batch;
        this.failures = failures;
        this.end = end;
        this.waiter = Thread.currentThread();
        pending.set(end - start);
        next.set(start);
        generation++; // publishes the fields above
        for (Thread t : threads) {
            LockSupport.unpark(t);
        }
        drainItems();
        while (pending.get() > 0) {
            LockSupport.parkNanos(this, 100_000);
        }
    }

    private void drainItems() {
        int i;
        while ((i = next.getAndIncrement()) < end) {
            BlockRequest r = batch[i];
            Throwable failure = null;
            try {
                device.read(r.offset, r.segment);
            } catch (Throwable t) {
                failure = t;
            }
            failures[i] = failure;
            if (pending.decrementAndGet() == 0) {
                LockSupport.unpark(waiter);
            }
        }
    }

    private void work() {
        int seen = 0;
        while (!stopped) {
            int g = generation;
            if (g == seen) {
                LockSupport.park(this);
                continue;
            }
            seen = g;
            drainItems();
        }
    }

    void stop() {
        stopped = true;
        for (Thread t : threads) {
            LockSupport.unpark(t);
        }
    }
}
