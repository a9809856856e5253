package io.amiforge.store;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * fsyncs the files of many layers at once ({@link Layer#forceFiles}): the flush after many
 * snapshots has two files per layer to sync (group commit), and the disk takes concurrent fsyncs
 * together (500 files of 4 KiB: 103 ms one after another, 53-59 ms from eight threads, on this
 * machine's disk). Fewer than {@value #PARALLEL_FROM} layers are synced on the calling thread.
 * Returns only when every sync has ended, so the caller (the journal thread, which owns the
 * layers) finds them as the syncs left them.
 */
final class LayerSync {

    /** From this many layers on, the syncs run side by side. */
    static final int PARALLEL_FROM = 16;
    private static final int THREADS = 8;

    private LayerSync() {
    }

    /**
     * Calls {@link Layer#forceFiles} on each of {@code layers}; returns those whose files are new
     * (their directory still needs an fsync). A failure is thrown once every sync has ended (the
     * first, with the others suppressed).
     */
    static List<Layer> forceFiles(Collection<Layer> layers) {
        List<Layer> newFiles = new ArrayList<>();
        if (layers.size() < PARALLEL_FROM) {
            for (Layer layer : layers) {
                if (layer.forceFiles()) {
                    newFiles.add(layer);
                }
            }
            return newFiles;
        }
        List<Layer> order = List.copyOf(layers);
        List<Future<Boolean>> syncs = new ArrayList<>(order.size());
        ExecutorService threads = Pool.EXECUTOR;
        for (Layer layer : order) {
            syncs.add(threads.submit(layer::forceFiles));
        }
        Throwable failure = null;
        boolean interrupted = false;
        for (int i = 0; i < order.size(); i++) {
            while (true) {
                try {
                    if (syncs.get(i).get()) {
                        newFiles.add(order.get(i));
                    }
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // every sync ends before the caller goes on
                } catch (ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause();
                    } else {
                        failure.addSuppressed(e.getCause());
                    }
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        switch (failure) {
            case null -> {
                return newFiles;
            }
            case RuntimeException r -> throw r;
            case Error e -> throw e;
            default -> throw new IllegalStateException(failure);
        }
    }

    /** The sync threads, started on the first flush that needs them (class initialization is lazy and safe). */
    private static final class Pool {
        static final ExecutorService EXECUTOR = Executors.newFixedThreadPool(THREADS,
                Thread.ofPlatform().daemon().name("amiforge-fsync-", 1).factory());
    }
}
