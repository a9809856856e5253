package io.amiforge.store.s3;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.async.SdkPublisher;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * Streams one GET's body straight into a fixed window of a caller's buffer (no intermediate
 * array); completes with the number of bytes written. A body longer than the window fails; a
 * shorter one completes with the short count, for the caller to judge. Each attempt (the SDK
 * calls {@link #prepare} again on a retry) starts over at the window's start.
 */
final class BufferSink implements AsyncResponseTransformer<GetObjectResponse, Integer> {

    private final ByteBuffer window;
    private volatile CompletableFuture<Integer> result;

    /** Writes into {@code window} from its position to its limit; the buffer's own position is never moved. */
    BufferSink(ByteBuffer window) {
        this.window = window.slice();
    }

    @Override
    public CompletableFuture<Integer> prepare() {
        CompletableFuture<Integer> attempt = new CompletableFuture<>();
        result = attempt;
        return attempt;
    }

    @Override
    public void onResponse(GetObjectResponse response) {
        // the length is checked by counting what arrives
    }

    @Override
    public void onStream(SdkPublisher<ByteBuffer> publisher) {
        publisher.subscribe(new Copier(window.duplicate().clear(), result));
    }

    @Override
    public void exceptionOccurred(Throwable error) {
        result.completeExceptionally(error);
    }

    /** One attempt's subscriber: copies every chunk into its own view of the window. */
    private static final class Copier implements Subscriber<ByteBuffer> {
        private final ByteBuffer target;
        private final CompletableFuture<Integer> done;
        private Subscription subscription;

        Copier(ByteBuffer target, CompletableFuture<Integer> done) {
            this.target = target;
            this.done = done;
        }

        @Override
        public void onSubscribe(Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(ByteBuffer chunk) {
            if (done.isDone()) {
                return;
            }
            if (chunk.remaining() > target.remaining()) {
                subscription.cancel();
                done.completeExceptionally(new IllegalStateException("the response body is longer than the "
                        + target.capacity() + " bytes asked for"));
                return;
            }
            target.put(chunk);
        }

        @Override
        public void onError(Throwable t) {
            done.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            done.complete(target.position());
        }
    }
}
