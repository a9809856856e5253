package io.amiforge.store.s3;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.store.objects.ObjectInfo;
import io.amiforge.store.objects.ObjectStore;
import io.amiforge.store.objects.ObjectStoreContract;
import io.amiforge.testkit.CephGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The object-store contract on a real Ceph RADOS Gateway (16.2), with small parts so every path is taken. */
@Tag("interop")
@Tag("ceph")
class S3ObjectStoreTest extends ObjectStoreContract {

    private static CephGateway ceph;
    private static S3ObjectStore store;

    static S3Config config(CephGateway gateway) {
        return S3Config.defaults().withEndpoint(gateway.endpoint().toString()).withRegion(CephGateway.REGION)
                .withKeys(CephGateway.ACCESS_KEY, CephGateway.SECRET_KEY)
                .withUpload(S3Config.MIN_PART_SIZE, 4).withRead(1 << 20, 4);
    }

    @BeforeAll
    static void startCeph() {
        ceph = CephGateway.start();
        store = new S3ObjectStore(S3Location.parse("s3://contract/some/prefix/"), config(ceph));
        assertThat(store.createBucketIfAbsent()).isTrue();
        assertThat(store.createBucketIfAbsent()).isFalse();
    }

    @AfterAll
    static void stopCeph() {
        if (store != null) {
            store.close();
        }
        if (ceph != null) {
            ceph.close();
        }
    }

    @Override
    protected ObjectStore store() {
        return store;
    }

    @Override
    protected int multipartLength() {
        return (int) (2 * S3Config.MIN_PART_SIZE) + 333_333; // three parts, thirteen read ranges
    }

    @Test
    void keysLiveUnderThePrefixAndPrefixesDoNotMix() {
        assertThat(store.describe()).isEqualTo("s3://contract/some/prefix");
        store.put(ns + "k", new byte[] {1, 2, 3});
        try (S3ObjectStore root = new S3ObjectStore(S3Location.parse("s3://contract"), config(ceph));
             S3ObjectStore sibling = new S3ObjectStore(S3Location.parse("s3://contract/some/pre"), config(ceph))) {
            assertThat(root.get("some/prefix/" + ns + "k")).containsExactly(1, 2, 3);
            assertThat(root.list("some/prefix/" + ns)).extracting(ObjectInfo::key).containsExactly("some/prefix/" + ns + "k");
            assertThat(sibling.list("")).isEmpty();
            assertThat(sibling.head("fix/" + ns + "k")).isNull();
        }
    }
}
