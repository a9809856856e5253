package io.amiforge.store.s3;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.function.IntFunction;

/**
 * Runs {@code count} asynchronous requests with at most {@code parallelism} in flight, in index
 * order, and waits for all of them: the one way large reads and multipart uploads fan out.
 * After the first failure no further request starts; the ones in flight are waited for (so a
 * caller that cleans up afterwards, such as aborting an upload, races with nothing) and the
 * first failure is thrown. An interrupt of the waiting thread cancels what is in flight.
 */
final class RequestWindow {

    private RequestWindow() {
    }

    /**
     * Starts {@code start.apply(i)} for every {@code i} below {@code count}, at most
     * {@code parallelism} at once; returns when all completed, or throws the first failure
     * (wrapped in {@link ExecutionException}).
     */
    static void run(int count, int parallelism, IntFunction<CompletableFuture<?>> start)
            throws InterruptedException, ExecutionException {
        Semaphore slots = new Semaphore(parallelism);
        CompletableFuture<Void> firstFailure = new CompletableFuture<>();
        List<CompletableFuture<?>> started = new ArrayList<>(count);
        try {
            for (int i = 0; i < count && !firstFailure.isDone(); i++) {
                slots.acquire();
                if (firstFailure.isDone()) {
                    slots.release();
                    break;
                }
                CompletableFuture<?> request;
                try {
                    request = start.apply(i);
                } catch (RuntimeException e) {
                    slots.release();
                    firstFailure.completeExceptionally(e);
                    break;
                }
                started.add(request);
                request.whenComplete((value, error) -> {
                    if (error != null) {
                        firstFailure.completeExceptionally(error);
                    }
                    slots.release();
                });
            }
            CompletableFuture.allOf(started.toArray(CompletableFuture[]::new)).handle((v, e) -> null).get();
        } catch (InterruptedException e) {
            started.forEach(f -> f.cancel(true));
            throw e;
        }
        if (firstFailure.isDone()) {
            firstFailure.get(); // throws the failure
        }
    }
}
