package io.amiforge.store.remote;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.store.objects.ObjectStore;
import io.amiforge.store.s3.S3Config;
import io.amiforge.store.s3.S3Location;
import io.amiforge.store.s3.S3ObjectStore;
import io.amiforge.testkit.CephGateway;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * {@link RemoteMultiProcessTest} on a real Ceph RADOS Gateway: two processes (two hosts) commit
 * snapshots at once through S3 conditional writes and lose nothing; one killed with SIGKILL
 * during its multipart uploads leaves only complete snapshots, and gc aborts what it left.
 */
@Tag("interop")
@Tag("ceph")
class RemoteMultiProcessCephTest extends RemoteMultiProcessTest {

    private static CephGateway ceph;

    @BeforeAll
    static void startCeph() {
        ceph = CephGateway.start();
        try (S3ObjectStore bucket = new S3ObjectStore(S3Location.parse("s3://hosts/x"), S3Config.defaults()
                .withEndpoint(ceph.endpoint().toString()).withRegion(CephGateway.REGION)
                .withKeys(CephGateway.ACCESS_KEY, CephGateway.SECRET_KEY))) {
            bucket.createBucketIfAbsent();
        }
    }

    @AfterAll
    static void stopCeph() {
        if (ceph != null) {
            ceph.close();
        }
    }

    @Override
    String url() {
        return "s3://hosts/" + dir.getFileName();
    }

    @Override
    List<String> extraArguments() {
        return List.of(ceph.endpoint().toString());
    }

    @Override
    void assertNoStagedUploads(ObjectStore objects) {
        assertThat(objects.abortStaleUploads("", 0)).as("multipart uploads left after gc").isZero();
    }
}
