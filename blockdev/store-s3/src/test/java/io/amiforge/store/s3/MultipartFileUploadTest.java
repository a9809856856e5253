package io.amiforge.store.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * What an interrupted multipart upload leaves behind, against a scripted endpoint whose answers
 * arrive late: once {@link MultipartFileUpload#upload} has returned or thrown, the upload is
 * either complete or aborted, never still open nor racing an abort against its complete.
 */
class MultipartFileUploadTest {

    private static final Duration SETTLE = Duration.ofSeconds(5);
    private static final long ANSWER_DELAY_MS = 200;

    @TempDir
    Path dir;

    @Test
    void anInterruptDuringTheCreateAbortsTheUploadBeforeThrowing() throws Exception {
        SlowEndpoint endpoint = new SlowEndpoint();
        Path file = file(3 << 20);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        List<String> abortsWhenThrown = new CopyOnWriteArrayList<>();
        Thread uploader = Thread.ofPlatform().start(() -> {
            Thread.currentThread().interrupt();
            try {
                new MultipartFileUpload(endpoint, "b", "k", SETTLE).upload(file, 0, 3 << 20, 1 << 20, 2);
            } catch (Throwable t) {
                thrown.set(t);
                abortsWhenThrown.addAll(endpoint.aborts);
            }
        });
        uploader.join();
        assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
        assertThat(abortsWhenThrown).containsExactly("upload-1");
        assertThat(endpoint.parts).isEmpty();
        assertThat(endpoint.completes).isEmpty();
    }

    @Test
    void anInterruptDuringTheCompleteWaitsForItsAnswerInsteadOfAborting() throws Exception {
        SlowEndpoint endpoint = new SlowEndpoint();
        endpoint.createDelayMs = 0;
        Path file = file(3 << 20);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicBoolean interruptKept = new AtomicBoolean();
        Thread uploader = Thread.ofPlatform().start(() -> {
            try {
                new MultipartFileUpload(endpoint, "b", "k", SETTLE).upload(file, 0, 3 << 20, 1 << 20, 2);
            } catch (Throwable t) {
                thrown.set(t);
            }
            interruptKept.set(Thread.currentThread().isInterrupted());
        });
        while (endpoint.completes.isEmpty()) {
            Thread.onSpinWait();
        }
        uploader.interrupt();
        uploader.join();
        assertThat(thrown.get()).isNull();
        assertThat(interruptKept).isTrue();
        assertThat(endpoint.parts).hasSize(3);
        assertThat(endpoint.completes).containsExactly("upload-1");
        assertThat(endpoint.aborts).isEmpty();
    }

    @Test
    void aCompleteThatFailsIsAborted() throws Exception {
        SlowEndpoint endpoint = new SlowEndpoint();
        endpoint.createDelayMs = 0;
        endpoint.completeFails = true;
        Path file = file(2 << 20);
        assertThatThrownBy(() -> new MultipartFileUpload(endpoint, "b", "k", SETTLE).upload(file, 0, 2 << 20, 1 << 20, 2))
                .hasMessageContaining("complete refused");
        assertThat(endpoint.aborts).containsExactly("upload-1");
    }

    private Path file(int length) throws IOException {
        return Files.write(dir.resolve("data"), new byte[length]);
    }

    /** An endpoint that answers creates and completes {@link #ANSWER_DELAY_MS} late, and records each call. */
    private static final class SlowEndpoint implements S3AsyncClient {
        final List<String> aborts = new CopyOnWriteArrayList<>();
        final List<Integer> parts = new CopyOnWriteArrayList<>();
        final List<String> completes = new CopyOnWriteArrayList<>();
        volatile long createDelayMs = ANSWER_DELAY_MS;
        volatile boolean completeFails;

        private static Executor later(long delayMs) {
            return CompletableFuture.delayedExecutor(delayMs, TimeUnit.MILLISECONDS);
        }

        @Override
        public CompletableFuture<CreateMultipartUploadResponse> createMultipartUpload(CreateMultipartUploadRequest request) {
            return CompletableFuture.supplyAsync(() -> CreateMultipartUploadResponse.builder().uploadId("upload-1").build(),
                    later(createDelayMs));
        }

        @Override
        public CompletableFuture<UploadPartResponse> uploadPart(UploadPartRequest request, AsyncRequestBody body) {
            parts.add(request.partNumber());
            return CompletableFuture.completedFuture(UploadPartResponse.builder().eTag("e" + request.partNumber()).build());
        }

        @Override
        public CompletableFuture<CompleteMultipartUploadResponse> completeMultipartUpload(CompleteMultipartUploadRequest request) {
            completes.add(request.uploadId());
            return CompletableFuture.supplyAsync(() -> {
                if (completeFails) {
                    throw new IllegalStateException("complete refused");
                }
                return CompleteMultipartUploadResponse.builder().build();
            }, later(ANSWER_DELAY_MS));
        }

        @Override
        public CompletableFuture<AbortMultipartUploadResponse> abortMultipartUpload(AbortMultipartUploadRequest request) {
            aborts.add(request.uploadId());
            return CompletableFuture.completedFuture(AbortMultipartUploadResponse.builder().build());
        }

        @Override
        public String serviceName() {
            return "s3";
        }

        @Override
        public void close() {
        }
    }
}
