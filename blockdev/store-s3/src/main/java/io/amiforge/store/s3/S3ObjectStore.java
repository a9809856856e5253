package io.amiforge.store.s3;

import io.amiforge.store.objects.ObjectInfo;
import io.amiforge.store.objects.ObjectStore;
import io.amiforge.store.objects.ObjectStoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClientBuilder;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@link ObjectStore} on an S3 bucket (AWS or a gateway such as Ceph RGW), through the AWS
 * SDK v2's {@link S3AsyncClient} on Netty. Every method blocks its caller until the request (or
 * the fan-out of ranged requests) finished; any number of threads may call at once.
 *
 * <ul>
 *   <li>{@link #putFile}: one PUT up to {@link S3Config#partSize()}, else a multipart upload with
 *       {@link S3Config#uploadParallelism()} parts in flight, aborted on failure or interrupt;</li>
 *   <li>{@link #read}: one ranged GET up to {@link S3Config#readPartSize()}, else that many bytes
 *       per ranged GET, {@link S3Config#readParallelism()} in flight, each written straight into
 *       the caller's buffer;</li>
 *   <li>{@link #putIfAbsent}: {@code If-None-Match: *} (Ceph RGW 16.2 honours it: of concurrent
 *       conditional PUTs exactly one got 200 in every race tried, the others 412; see
 *       {@code docs/object-store-s3.md}). It retries by itself
 *       rather than through the SDK, so that a first attempt that landed but whose answer was lost
 *       is recognised: a 412 on a retry whose stored bytes equal {@code body} counts as created;</li>
 *   <li>each request is tried {@link S3Config#maxAttempts()} times with backoff, each attempt
 *       bounded by {@link S3Config#attemptTimeout()}: an endpoint that is down fails within
 *       seconds with code {@code ObjectStoreUnavailable}.</li>
 * </ul>
 */
public final class S3ObjectStore implements ObjectStore {

    private final S3Location location;
    private final S3Config config;
    private final SdkAsyncHttpClient http;
    private final S3AsyncClient s3;
    /** The same endpoint without SDK retries, for conditional writes (see {@link #putIfAbsent}). */
    private final S3AsyncClient once;
    private final String where;

    /** A store on {@code location} reached as {@code config} says. The bucket must exist. */
    public S3ObjectStore(S3Location location, S3Config config) {
        this.location = location;
        this.config = config;
        this.where = location.toString();
        int connections = Math.max(64, 4 * (config.uploadParallelism() + config.readParallelism()));
        this.http = NettyNioAsyncHttpClient.builder()
                .maxConcurrency(connections)
                .maxPendingConnectionAcquires(100_000)
                .connectionTimeout(config.connectTimeout())
                .connectionAcquisitionTimeout(config.attemptTimeout())
                .readTimeout(config.attemptTimeout())
                .writeTimeout(config.attemptTimeout())
                .build();
        this.s3 = client(config.maxAttempts());
        this.once = client(1);
    }

    /** A store on {@code s3://bucket/prefix} configured from the AWS variables in {@code env}. */
    public static S3ObjectStore open(String url, Map<String, String> env) {
        return new S3ObjectStore(S3Location.parse(url), S3Config.fromEnvironment(env));
    }

    private S3AsyncClient client(int attempts) {
        S3AsyncClientBuilder builder = S3AsyncClient.builder()
                .httpClient(http)
                .region(Region.of(config.region()))
                .credentialsProvider(credentials())
                .forcePathStyle(config.pathStyle())
                // gateways (Ceph 16) predate S3's default CRC trailers; SigV4 already covers the payload
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .overrideConfiguration(o -> o
                        .retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder().maxAttempts(attempts).build())
                        .apiCallAttemptTimeout(config.attemptTimeout()));
        if (config.endpoint() != null) {
            builder.endpointOverride(config.endpoint());
        }
        return builder.build();
    }

    private AwsCredentialsProvider credentials() {
        return config.accessKey() != null
                ? StaticCredentialsProvider.create(AwsBasicCredentials.create(config.accessKey(), config.secretKey()))
                : DefaultCredentialsProvider.builder().build();
    }

    /**
     * Creates the bucket unless it exists; returns whether this call created it. (A {@code HEAD}
     * first: RGW, like S3 in us-east-1, answers 200 to creating a bucket one already owns.)
     */
    public boolean createBucketIfAbsent() {
        try {
            await(s3.headBucket(b -> b.bucket(location.bucket())), "head bucket", location.bucket());
            return false;
        } catch (ObjectStoreException e) {
            if (e.kind() != ObjectStoreException.Kind.NOT_FOUND) {
                throw e;
            }
        }
        await(s3.createBucket(b -> b.bucket(location.bucket())), "create bucket", location.bucket());
        return true;
    }

    /** Where this store lives. */
    public S3Location location() {
        return location;
    }

    @Override
    public boolean putIfAbsent(String key, byte[] body) {
        String objectKey = objectKey(key);
        Throwable last = null;
        for (int attempt = 0; attempt < config.maxAttempts(); attempt++) {
            if (attempt > 0) {
                backoff(attempt, "putIfAbsent", key);
            }
            CompletableFuture<?> put = once.putObject(b -> b.bucket(location.bucket()).key(objectKey).ifNoneMatch("*")
                    .contentLength((long) body.length), AsyncRequestBody.fromBytes(body));
            try {
                await(put, "putIfAbsent", key);
                return true;
            } catch (ObjectStoreException e) {
                int status = S3Errors.status(e.getCause());
                if (status == 412) {
                    return attempt > 0 && Arrays.equals(body, getOrNull(key));
                }
                if (!retryable(e)) {
                    throw e;
                }
                last = e;
            }
        }
        throw S3Errors.map(where, "putIfAbsent", key, last);
    }

    /** Whether a failed request may be tried again: no answer at all, a 5xx, or 409 (a conflicting conditional write). */
    private static boolean retryable(ObjectStoreException e) {
        int status = S3Errors.status(e.getCause());
        return status == 0 && "ObjectStoreUnavailable".equals(e.code()) || status >= 500 || status == 409;
    }

    private void backoff(int attempt, String what, String key) {
        try {
            Thread.sleep(Math.min(2000, 100L << attempt));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted(what, key);
        }
    }

    private byte[] getOrNull(String key) {
        try {
            return get(key);
        } catch (ObjectStoreException e) {
            if (e.kind() == ObjectStoreException.Kind.NOT_FOUND) {
                return null;
            }
            throw e;
        }
    }

    @Override
    public void put(String key, byte[] body) {
        await(s3.putObject(b -> b.bucket(location.bucket()).key(objectKey(key)).contentLength((long) body.length),
                AsyncRequestBody.fromBytes(body)), "put", key);
    }

    @Override
    public void putFile(String key, Path file, long offset, long length) {
        String objectKey = objectKey(key);
        checkRegion(key, file, offset, length);
        if (length <= config.partSize()) {
            putSmallFile(key, objectKey, file, offset, length);
            return;
        }
        try {
            new MultipartFileUpload(s3, location.bucket(), objectKey, config.attemptTimeout())
                    .upload(file, offset, length, config.partSize(), config.uploadParallelism());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted("putFile", key);
        } catch (ExecutionException | RuntimeException e) {
            throw S3Errors.map(where, "putFile", key, e);
        }
    }

    /** One PUT; on interrupt the request is cancelled and, should it have landed anyway, the object deleted. */
    private void putSmallFile(String key, String objectKey, Path file, long offset, long length) {
        CompletableFuture<?> put = s3.putObject(b -> b.bucket(location.bucket()).key(objectKey).contentLength(length),
                MultipartFileUpload.fileBody(file, offset, length));
        try {
            put.get();
        } catch (InterruptedException e) {
            put.cancel(true);
            boolean landed = settled(put);
            if (landed) {
                s3.deleteObject(b -> b.bucket(location.bucket()).key(objectKey));
            }
            Thread.currentThread().interrupt();
            throw interrupted("putFile", key);
        } catch (ExecutionException e) {
            throw S3Errors.map(where, "putFile", key, e);
        }
    }

    /** Waits (at most an attempt's timeout, ignoring interrupts) for a cancelled request; true if it succeeded. */
    private boolean settled(CompletableFuture<?> request) {
        try {
            request.get(config.attemptTimeout().toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (InterruptedException | ExecutionException | TimeoutException | java.util.concurrent.CancellationException e) {
            return false;
        }
    }

    private void checkRegion(String key, Path file, long offset, long length) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw ObjectStoreException.error(where, "putFile '" + key + "' from " + file, e);
        }
        if (offset < 0 || length < 0 || offset > size || length > size - offset) {
            throw new ObjectStoreException(ObjectStoreException.Kind.USAGE, "ObjectStoreBadRange", where + ": putFile '"
                    + key + "': bytes " + offset + "+" + length + " are outside " + file + " (" + size + " bytes)", null);
        }
    }

    @Override
    public byte[] get(String key) {
        return await(s3.getObject(b -> b.bucket(location.bucket()).key(objectKey(key)), AsyncResponseTransformer.toBytes()),
                "get", key).asByteArrayUnsafe();
    }

    @Override
    public void read(String key, long offset, ByteBuffer dst) {
        String objectKey = objectKey(key);
        int length = dst.remaining();
        if (offset < 0) {
            throw new ObjectStoreException(ObjectStoreException.Kind.USAGE, "ObjectStoreBadRange",
                    where + ": read '" + key + "': negative offset " + offset, null);
        }
        if (length == 0) {
            return;
        }
        int part = (int) config.readPartSize();
        int count = (length + part - 1) / part;
        int start = dst.position();
        try {
            RequestWindow.run(count, config.readParallelism(), i -> {
                int from = i * part;
                int n = Math.min(part, length - from);
                ByteBuffer window = dst.duplicate().position(start + from).limit(start + from + n);
                long first = offset + from;
                String range = "bytes=" + first + "-" + (first + n - 1);
                return s3.getObject(b -> b.bucket(location.bucket()).key(objectKey).range(range), new BufferSink(window))
                        .thenAccept(got -> {
                            if (got != n) {
                                throw new ObjectStoreException(ObjectStoreException.Kind.NOT_FOUND, "ObjectNotFound",
                                        where + ": read '" + key + "' bytes " + offset + "+" + length
                                                + ": the object ends before byte " + (first + n) + " (got " + got + " of "
                                                + n + " bytes at " + first + ")", null);
                            }
                        });
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted("read", key);
        } catch (ExecutionException | RuntimeException e) {
            throw S3Errors.map(where, "read bytes " + offset + "+" + length + " of", key, e);
        }
        dst.position(dst.limit());
    }

    @Override
    public ObjectInfo head(String key) {
        CompletableFuture<HeadObjectResponse> head = s3.headObject(b -> b.bucket(location.bucket()).key(objectKey(key)));
        try {
            HeadObjectResponse r = await(head, "head", key);
            return new ObjectInfo(key, r.contentLength(), r.eTag(), r.lastModified().toEpochMilli());
        } catch (ObjectStoreException e) {
            if (e.kind() == ObjectStoreException.Kind.NOT_FOUND) {
                return null;
            }
            throw e;
        }
    }

    @Override
    public List<ObjectInfo> list(String prefix) {
        String objectPrefix = objectKey(prefix);
        List<ObjectInfo> all = new ArrayList<>();
        String token = null;
        do {
            String continuation = token;
            ListObjectsV2Response page = await(s3.listObjectsV2(b -> b.bucket(location.bucket()).prefix(objectPrefix)
                    .continuationToken(continuation)), "list", prefix);
            for (S3Object o : page.contents()) {
                all.add(new ObjectInfo(location.storeKey(o.key()), o.size(), o.eTag(), o.lastModified().toEpochMilli()));
            }
            token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
        } while (token != null);
        return all;
    }

    @Override
    public void delete(String key) {
        try {
            await(s3.deleteObject(b -> b.bucket(location.bucket()).key(objectKey(key))), "delete", key);
        } catch (ObjectStoreException e) {
            if (e.kind() != ObjectStoreException.Kind.NOT_FOUND) {
                throw e;
            }
        }
    }

    @Override
    public int abortStaleUploads(String prefix, long olderThanMillis) {
        String objectPrefix = objectKey(prefix);
        Instant cutoff = Instant.now().minusMillis(olderThanMillis);
        int aborted = 0;
        String keyMarker = null;
        String idMarker = null;
        boolean more = true;
        while (more) {
            String k = keyMarker;
            String id = idMarker;
            ListMultipartUploadsResponse page = await(s3.listMultipartUploads(b -> b.bucket(location.bucket())
                    .prefix(objectPrefix).keyMarker(k).uploadIdMarker(id)), "list uploads under", prefix);
            for (MultipartUpload u : page.uploads()) {
                if (u.initiated().isBefore(cutoff)) {
                    try {
                        await(s3.abortMultipartUpload(b -> b.bucket(location.bucket()).key(u.key()).uploadId(u.uploadId())),
                                "abort upload " + u.uploadId() + " of", location.storeKey(u.key()));
                        aborted++;
                    } catch (ObjectStoreException e) {
                        if (e.kind() != ObjectStoreException.Kind.NOT_FOUND) { // finished or aborted meanwhile
                            throw e;
                        }
                    }
                }
            }
            more = Boolean.TRUE.equals(page.isTruncated());
            keyMarker = page.nextKeyMarker();
            idMarker = page.nextUploadIdMarker();
        }
        return aborted;
    }

    @Override
    public String describe() {
        return where;
    }

    @Override
    public void close() {
        s3.close();
        once.close();
        http.close();
    }

    private String objectKey(String key) {
        if (key == null) {
            throw new ObjectStoreException(ObjectStoreException.Kind.USAGE, "ObjectStoreBadKey", where + ": key is null", null);
        }
        return location.objectKey(key);
    }

    /** The request's result; its failure mapped (see {@link S3Errors}); an interrupt cancels it. */
    private <T> T await(CompletableFuture<T> request, String what, String key) {
        try {
            return request.get();
        } catch (InterruptedException e) {
            request.cancel(true);
            Thread.currentThread().interrupt();
            throw interrupted(what, key);
        } catch (ExecutionException e) {
            throw S3Errors.map(where, what, key, e);
        }
    }

    private ObjectStoreException interrupted(String what, String key) {
        return new ObjectStoreException(ObjectStoreException.Kind.FAILED, "ObjectStoreInterrupted",
                where + ": " + what + " '" + key + "': interrupted", null);
    }

    /** The bound on one request including its retries, for waits that must not hang. */
    Duration requestBound() {
        return config.attemptTimeout().multipliedBy(config.maxAttempts()).plusSeconds(5);
    }
}
