package io.amiforge.store.s3;

import io.amiforge.testkit.CephGateway;
import java.util.function.UnaryOperator;

/**
 * A Ceph gateway with one {@link S3ObjectStore} on a fresh bucket, for a test class's
 * {@code @BeforeAll}/{@code @AfterAll}: closing it closes the store, then stops Ceph.
 *
 * @param ceph  the running gateway
 * @param store the store on {@code s3://BUCKET/PREFIX}
 */
record CephStore(CephGateway ceph, S3ObjectStore store) implements AutoCloseable {

    /** Small parts and ranges, so that multipart uploads and fanned-out reads happen on small data. */
    static S3Config config(CephGateway gateway) {
        return S3Config.defaults().withEndpoint(gateway.endpoint().toString()).withRegion(CephGateway.REGION)
                .withKeys(CephGateway.ACCESS_KEY, CephGateway.SECRET_KEY)
                .withUpload(S3Config.MIN_PART_SIZE, 4).withRead(1 << 20, 4);
    }

    /** Starts Ceph and opens {@code location} with {@link #config} as {@code tune} changes it; creates the bucket. */
    static CephStore start(String location, UnaryOperator<S3Config> tune) {
        CephGateway ceph = CephGateway.start();
        try {
            S3ObjectStore store = new S3ObjectStore(S3Location.parse(location), tune.apply(config(ceph)));
            store.createBucketIfAbsent();
            return new CephStore(ceph, store);
        } catch (RuntimeException | Error e) {
            ceph.close();
            throw e;
        }
    }

    /** Closes {@code fixture} if it was started. */
    static void close(CephStore fixture) {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Override
    public void close() {
        try {
            store.close();
        } finally {
            ceph.close();
        }
    }
}
