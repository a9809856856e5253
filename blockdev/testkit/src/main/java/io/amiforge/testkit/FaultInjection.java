package io.amiforge.testkit;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A fault-injecting file layer for tests, like QEMU's blkdebug: counts the file operations a
 * component reports (create, write, fsync, rename) and makes exactly the Nth one (of one kind, or
 * of any kind) fail, once. The component under test calls {@link #before} ahead of each
 * operation; the snapshot store does so through its {@code FileOps} hook
 * ({@code SnapshotStore.open(dir, (op, path) -> faults.before(op.name(), path))}).
 *
 * <p>A test finds every failure point of an operation by looping N = 1, 2, ... until the
 * operation completes without the fault firing ({@link #fired()} false). By default the failure
 * is an {@link IOException} naming the operation and path; {@link #throwing} makes it any
 * {@link Throwable} (an {@link Error} simulates a fatal fault in the thread doing the I/O).
 * Thread-safe.
 */
public final class FaultInjection {

    /** The kinds of file operation counted. */
    public enum Op {
        /** A file is created. */
        CREATE,
        /** Bytes are written. */
        WRITE,
        /** A file or directory is fsynced. */
        FSYNC,
        /** A file is renamed (an atomic commit). */
        RENAME
    }

    private final Op kind;
    private final long n;
    private final AtomicLong seen = new AtomicLong();
    private volatile boolean fired;
    private volatile Function<String, Throwable> failure =
            message -> new IOException(message + " (injected I/O error)");

    private FaultInjection(Op kind, long n) {
        this.kind = kind;
        this.n = n;
    }

    /** Fails the {@code n}th operation of any kind (1-based). */
    public static FaultInjection failNth(long n) {
        return new FaultInjection(null, checked(n));
    }

    /** Fails the {@code n}th operation of {@code kind} (1-based). */
    public static FaultInjection failNth(Op kind, long n) {
        if (kind == null) {
            throw new IllegalArgumentException("kind is null");
        }
        return new FaultInjection(kind, checked(n));
    }

    /** Counts operations and never fails. */
    public static FaultInjection countOnly() {
        return new FaultInjection(null, Long.MAX_VALUE);
    }

    private static long checked(long n) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be at least 1, got " + n);
        }
        return n;
    }

    /** Makes the injected failure {@code failure.apply(message)} instead of an IOException; returns this. */
    public FaultInjection throwing(Function<String, Throwable> failure) {
        this.failure = failure;
        return this;
    }

    /**
     * Reports one operation named {@code op} (an {@link Op} name, any case) on {@code path}; throws
     * the injected failure if it is the chosen one. Names that are no {@link Op} are not counted.
     */
    public void before(String op, Path path) throws IOException {
        Op o;
        try {
            o = Op.valueOf(op.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return;
        }
        if (kind != null && o != kind) {
            return;
        }
        long count = seen.incrementAndGet();
        if (count != n) {
            return;
        }
        fired = true;
        Throwable t = failure.apply("injected fault: " + o + " #" + count + " on " + path);
        switch (t) {
            case IOException io -> throw io;
            case RuntimeException r -> throw r;
            case Error e -> throw e;
            default -> throw new IOException(t);
        }
    }

    /** How many matching operations were reported so far. */
    public long count() {
        return seen.get();
    }

    /** Whether the failure was injected. */
    public boolean fired() {
        return fired;
    }
}
