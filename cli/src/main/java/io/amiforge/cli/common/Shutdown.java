package io.amiforge.cli.common;

import java.io.PrintStream;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/**
 * What the {@code amiforge} process does when it is told to stop (SIGTERM, SIGINT) or a
 * background thread dies of an {@link Error}: a running command's own stop ({@link #onStop}: a
 * server draining and flushing what it serves) runs first, then the stores the command opened
 * are closed (their catalogs are left consistent: every commit is atomic, so nothing half done
 * is added), all within a bounded time; one line names the cause, and the process exits non-zero.
 */
public final class Shutdown {

    /** Exit code of a fatal internal error (as for any other bug: see {@code Errors}). */
    public static final int FATAL_EXIT = 70;
    /** How long closing the open stores may take before the process exits anyway. */
    private static final long CLOSE_MILLIS = 5_000;

    private static final Set<AutoCloseable> OPEN = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));
    private static final List<Runnable> STOPS = new CopyOnWriteArrayList<>();

    private Shutdown() {
    }

    /** Registers {@code resource} to be closed if the process is stopped before the command closes it; returns it. */
    public static <T extends AutoCloseable> T closeOnExit(T resource) {
        OPEN.add(resource);
        return resource;
    }

    /**
     * Registers the stop of a running command that ends itself in order (a server that stops,
     * drains and flushes what it serves): when the process is told to stop, {@code request} is
     * counted down and then {@code done} awaited, before the registered resources are closed, so
     * they are not closed under the command. Closing the returned registration removes it.
     */
    public static Registration onStop(CountDownLatch request, CountDownLatch done) {
        Runnable stop = () -> {
            request.countDown();
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        STOPS.add(stop);
        return () -> STOPS.remove(stop);
    }

    /** A registered stop; {@link #close()} removes it. */
    public interface Registration extends AutoCloseable {
        @Override
        void close();
    }

    /** Installs the shutdown hook and the handler of fatal errors in background threads (the {@code amiforge} process only). */
    public static void install(PrintStream err) {
        Runtime.getRuntime().addShutdownHook(new Thread(Shutdown::closeAll, "amiforge-shutdown"));
        Thread.setDefaultUncaughtExceptionHandler((thread, t) -> {
            if (t instanceof Error) {
                err.println("amiforge: InternalError: fatal " + t + " in thread '" + thread.getName()
                        + "'; the command is stopped (nothing half-committed is kept)");
                err.flush();
                Thread exit = new Thread(() -> System.exit(FATAL_EXIT), "amiforge-exit");
                exit.setDaemon(true);
                exit.start();
            } else {
                err.println("amiforge: InternalError: unexpected " + t + " in thread '" + thread.getName() + "'");
                t.printStackTrace(err);
            }
        });
    }

    /**
     * Runs the registered stops, then closes every registered resource, giving up after
     * {@link #CLOSE_MILLIS} in all (a stop or close that hangs must not keep the process alive).
     */
    public static void closeAll() {
        Runnable[] stops = STOPS.toArray(Runnable[]::new);
        STOPS.clear();
        AutoCloseable[] open;
        synchronized (OPEN) {
            open = OPEN.toArray(AutoCloseable[]::new);
            OPEN.clear();
        }
        if (stops.length == 0 && open.length == 0) {
            return;
        }
        Thread closer = new Thread(() -> {
            for (Runnable stop : stops) {
                try {
                    stop.run();
                } catch (RuntimeException | Error e) {
                    System.err.println("amiforge: stopping at exit failed: " + e);
                }
            }
            for (AutoCloseable c : open) {
                try {
                    c.close();
                } catch (Exception | Error e) {
                    System.err.println("amiforge: closing " + c + " at exit failed: " + e);
                }
            }
        }, "amiforge-close");
        closer.setDaemon(true);
        closer.start();
        try {
            closer.join(CLOSE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
