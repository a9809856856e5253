package io.amiforge.store.s3;

import io.amiforge.blockdev.AmiforgeException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Map;

/**
 * How an {@link S3ObjectStore} reaches its endpoint and how it splits and retries requests.
 *
 * <p>Defaults: AWS's endpoint for the region, region {@code us-east-1}, the SDK's default
 * credential chain, 16 MiB upload parts with 8 in flight, 8 MiB read ranges with 8 in flight,
 * 3 attempts per request, a 30 s limit per attempt and 2 s to connect. An explicit endpoint
 * (a gateway such as Ceph RGW or MinIO) implies path-style addressing
 * ({@code http://host/bucket/key}).
 *
 * @param endpoint          the S3 endpoint, or {@code null} for AWS's own
 * @param region            the signing region
 * @param accessKey         the access key id, or {@code null} for the SDK's default credential chain
 * @param secretKey         the secret key (set exactly when {@code accessKey} is)
 * @param partSize          bytes per multipart-upload part; files up to this size go in one PUT
 * @param uploadParallelism parts of one upload in flight at once
 * @param readPartSize      bytes per ranged GET of a large read
 * @param readParallelism   ranged GETs of one read in flight at once
 * @param maxAttempts       attempts per request (first try included) before a failure is reported
 * @param attemptTimeout    limit on one attempt of one request
 * @param connectTimeout    limit on opening a connection
 */
public record S3Config(URI endpoint, String region, String accessKey, String secretKey, long partSize,
                       int uploadParallelism, long readPartSize, int readParallelism, int maxAttempts,
                       Duration attemptTimeout, Duration connectTimeout) {

    /** S3's smallest part (all but the last part of a multipart upload). */
    public static final long MIN_PART_SIZE = 5L << 20;
    /** S3's largest part. */
    public static final long MAX_PART_SIZE = 5L << 30;
    /** S3's largest number of parts in one upload. */
    public static final int MAX_PARTS = 10_000;

    /** Checks every field; throws a USAGE {@link AmiforgeException} naming the field and its value. */
    public S3Config {
        if (endpoint != null && (endpoint.getHost() == null
                || !("http".equals(endpoint.getScheme()) || "https".equals(endpoint.getScheme())))) {
            throw invalid("endpoint '" + endpoint + "' is not an http:// or https:// URL with a host");
        }
        if (region == null || region.isBlank()) {
            throw invalid("region is empty");
        }
        if ((accessKey == null) != (secretKey == null)) {
            throw invalid("an access key needs a secret key and the other way round (got only the "
                    + (accessKey == null ? "secret key" : "access key") + ")");
        }
        if (partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
            throw invalid("part size " + partSize + " is outside S3's " + MIN_PART_SIZE + " to " + MAX_PART_SIZE + " bytes");
        }
        if (readPartSize < 4096 || readPartSize > Integer.MAX_VALUE) {
            throw invalid("read part size " + readPartSize + " is outside 4096 to " + Integer.MAX_VALUE + " bytes");
        }
        positive("upload parallelism", uploadParallelism);
        positive("read parallelism", readParallelism);
        positive("attempts", maxAttempts);
        positive("attempt timeout (ms)", attemptTimeout.toMillis());
        positive("connect timeout (ms)", connectTimeout.toMillis());
    }

    /** The defaults (see the class comment): AWS's endpoint in us-east-1, the default credential chain. */
    public static S3Config defaults() {
        return new S3Config(null, "us-east-1", null, null, 16L << 20, 8, 8L << 20, 8, 3,
                Duration.ofSeconds(30), Duration.ofSeconds(2));
    }

    /**
     * The defaults with what the usual AWS variables in {@code env} set: {@code AWS_ENDPOINT_URL_S3}
     * (else {@code AWS_ENDPOINT_URL}), {@code AWS_REGION} (else {@code AWS_DEFAULT_REGION}),
     * {@code AWS_ACCESS_KEY_ID} with {@code AWS_SECRET_ACCESS_KEY}.
     */
    public static S3Config fromEnvironment(Map<String, String> env) {
        S3Config config = defaults();
        String endpoint = first(env, "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");
        if (endpoint != null) {
            config = config.withEndpoint(endpoint);
        }
        String region = first(env, "AWS_REGION", "AWS_DEFAULT_REGION");
        if (region != null) {
            config = config.withRegion(region);
        }
        String access = first(env, "AWS_ACCESS_KEY_ID");
        String secret = first(env, "AWS_SECRET_ACCESS_KEY");
        if (access != null || secret != null) {
            config = config.withKeys(access, secret);
        }
        return config;
    }

    /** This configuration with the endpoint {@code url} (parsed, with a clear error when it is not a URL). */
    public S3Config withEndpoint(String url) {
        URI uri;
        try {
            uri = new URI(url.trim());
        } catch (URISyntaxException e) {
            throw invalid("endpoint '" + url + "' is not a URL: " + e.getReason());
        }
        return new S3Config(uri, region, accessKey, secretKey, partSize, uploadParallelism, readPartSize,
                readParallelism, maxAttempts, attemptTimeout, connectTimeout);
    }

    /** This configuration with the signing region {@code newRegion}. */
    public S3Config withRegion(String newRegion) {
        return new S3Config(endpoint, newRegion, accessKey, secretKey, partSize, uploadParallelism, readPartSize,
                readParallelism, maxAttempts, attemptTimeout, connectTimeout);
    }

    /** This configuration with static keys. */
    public S3Config withKeys(String newAccessKey, String newSecretKey) {
        return new S3Config(endpoint, region, newAccessKey, newSecretKey, partSize, uploadParallelism, readPartSize,
                readParallelism, maxAttempts, attemptTimeout, connectTimeout);
    }

    /** This configuration with uploads split into {@code size}-byte parts, {@code parallelism} in flight. */
    public S3Config withUpload(long size, int parallelism) {
        return new S3Config(endpoint, region, accessKey, secretKey, size, parallelism, readPartSize,
                readParallelism, maxAttempts, attemptTimeout, connectTimeout);
    }

    /** This configuration with large reads split into {@code size}-byte ranges, {@code parallelism} in flight. */
    public S3Config withRead(long size, int parallelism) {
        return new S3Config(endpoint, region, accessKey, secretKey, partSize, uploadParallelism, size,
                parallelism, maxAttempts, attemptTimeout, connectTimeout);
    }

    /** This configuration with {@code attempts} tries per request, each limited to {@code attempt}. */
    public S3Config withRetries(int attempts, Duration attempt, Duration connect) {
        return new S3Config(endpoint, region, accessKey, secretKey, partSize, uploadParallelism, readPartSize,
                readParallelism, attempts, attempt, connect);
    }

    /** Whether requests address the bucket in the path (every explicit endpoint) rather than the host name. */
    public boolean pathStyle() {
        return endpoint != null;
    }

    private static String first(Map<String, String> env, String... names) {
        for (String name : names) {
            String value = env.get(name);
            if (value != null && !value.isBlank()) {
                return value;
            }
        }
        return null;
    }

    private static void positive(String what, long value) {
        if (value <= 0) {
            throw invalid(what + " must be positive, got " + value);
        }
    }

    private static AmiforgeException invalid(String what) {
        return new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidS3Config", "S3 configuration: " + what);
    }
}
