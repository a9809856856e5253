package io.amiforge.store.s3;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import software.amazon.awssdk.core.FileRequestBodyConfiguration;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadResponse;

/**
 * One multipart upload of a file region: create, the parts in parallel (each read from the file
 * by the SDK, never buffered whole), complete. Any failure or interrupt aborts the upload, so
 * the key never shows a partial object; an abort that itself fails leaves the upload for
 * {@code abortStaleUploads}.
 */
final class MultipartFileUpload {

    /** Bytes the SDK reads from the file per chunk it sends. */
    static final int FILE_CHUNK = 256 * 1024;

    private final S3AsyncClient s3;
    private final String bucket;
    private final String objectKey;
    private final Duration settle;

    /** An upload to {@code objectKey} in {@code bucket}; {@code settle} bounds the wait for an abort. */
    MultipartFileUpload(S3AsyncClient s3, String bucket, String objectKey, Duration settle) {
        this.s3 = s3;
        this.bucket = bucket;
        this.objectKey = objectKey;
        this.settle = settle;
    }

    /** The part size for {@code length} bytes: {@code partSize}, raised so at most 10,000 parts are needed. */
    static long partSize(long length, long partSize) {
        long needed = (length + S3Config.MAX_PARTS - 1) / S3Config.MAX_PARTS;
        long mib = 1L << 20;
        return Math.max(partSize, (needed + mib - 1) / mib * mib);
    }

    /** A body of {@code length} bytes of {@code file} from {@code offset}, read by the SDK as it sends. */
    static AsyncRequestBody fileBody(Path file, long offset, long length) {
        return AsyncRequestBody.fromFile(FileRequestBodyConfiguration.builder().path(file).position(offset)
                .numBytesToRead(length).chunkSizeInBytes(FILE_CHUNK).build());
    }

    /**
     * Uploads {@code length} bytes of {@code file} from {@code offset} in {@code size}-byte parts,
     * {@code parallelism} at once; the object appears only when complete.
     */
    void upload(Path file, long offset, long length, long size, int parallelism)
            throws InterruptedException, ExecutionException {
        long part = partSize(length, size);
        int count = Math.toIntExact((length + part - 1) / part);
        CompletableFuture<CreateMultipartUploadResponse> create = s3.createMultipartUpload(b -> b.bucket(bucket).key(objectKey));
        String uploadId;
        try {
            uploadId = create.get().uploadId();
        } catch (InterruptedException e) {
            abortOnceCreated(create, e);
            throw e;
        }
        CompletedPart[] parts = new CompletedPart[count];
        try {
            RequestWindow.run(count, parallelism, i -> {
                long from = i * part;
                long n = Math.min(part, length - from);
                int number = i + 1;
                return s3.uploadPart(b -> b.bucket(bucket).key(objectKey).uploadId(uploadId).partNumber(number)
                                .contentLength(n), fileBody(file, offset + from, n))
                        .thenAccept(r -> parts[number - 1] = CompletedPart.builder().partNumber(number).eTag(r.eTag()).build());
            });
        } catch (InterruptedException | ExecutionException | RuntimeException e) {
            abort(uploadId, e);
            throw e;
        }
        complete(uploadId, parts);
    }

    /**
     * Completes the upload. An interrupt here does not race an abort against the complete already
     * sent: it waits (at most {@code settle}) for the complete's answer, so the object is either
     * whole (returns, the interrupt kept) or absent (aborted, throws).
     */
    private void complete(String uploadId, CompletedPart[] parts) throws InterruptedException, ExecutionException {
        CompletableFuture<?> complete = s3.completeMultipartUpload(b -> b.bucket(bucket).key(objectKey).uploadId(uploadId)
                .multipartUpload(m -> m.parts(Arrays.asList(parts))));
        try {
            complete.get();
        } catch (InterruptedException e) {
            boolean done;
            try {
                complete.get(settle.toMillis(), TimeUnit.MILLISECONDS);
                done = true;
            } catch (ExecutionException | TimeoutException | InterruptedException notDone) {
                done = false;
            }
            Thread.currentThread().interrupt();
            if (done) {
                return;
            }
            abort(uploadId, e);
            throw e;
        } catch (ExecutionException | RuntimeException e) {
            abort(uploadId, e);
            throw e;
        }
    }

    /**
     * After an interrupt during the create: waits (at most {@code settle}, the interrupt kept) for
     * the create's answer and aborts the upload it made, so that none is left behind once
     * {@link #upload} has thrown. A create still unanswered after that is aborted when it answers.
     */
    private void abortOnceCreated(CompletableFuture<CreateMultipartUploadResponse> create, InterruptedException failure) {
        boolean interrupted = Thread.interrupted();
        try {
            abort(create.get(settle.toMillis(), TimeUnit.MILLISECONDS).uploadId(), failure);
        } catch (ExecutionException e) {
            // no upload was made
        } catch (TimeoutException | InterruptedException e) {
            interrupted |= e instanceof InterruptedException;
            create.thenAccept(created -> s3.abortMultipartUpload(b -> b.bucket(bucket).key(objectKey).uploadId(created.uploadId())));
            failure.addSuppressed(new IllegalStateException("the create of a multipart upload of '" + objectKey
                    + "' did not answer within " + settle + "; its upload is aborted when it does", e));
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Aborts {@code uploadId}, waiting at most {@code settle} even when interrupted (the interrupt is kept). */
    private void abort(String uploadId, Exception failure) {
        CompletableFuture<?> abort = s3.abortMultipartUpload(b -> b.bucket(bucket).key(objectKey).uploadId(uploadId));
        boolean interrupted = Thread.interrupted();
        try {
            abort.get(settle.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            failure.addSuppressed(new IllegalStateException("could not abort multipart upload " + uploadId
                    + " of '" + objectKey + "' (left for abortStaleUploads)", S3Errors.unwrap(e)));
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
