package io.amiforge.store.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.store.objects.ObjectInfo;
import io.amiforge.store.objects.ObjectStore;
import io.amiforge.store.objects.ObjectStoreContract;
import io.amiforge.store.objects.ObjectStoreException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The object-store contract on a real Ceph RADOS Gateway (16.2), with small parts so every path is taken. */
@Tag("interop")
@Tag("ceph")
class S3ObjectStoreTest extends ObjectStoreContract {

    private static CephStore fixture;
    private static S3ObjectStore store;

    @BeforeAll
    static void startCeph() {
        fixture = CephStore.start("s3://contract/some/prefix/", c -> c);
        store = fixture.store();
        assertThat(store.createBucketIfAbsent()).isFalse();
    }

    @AfterAll
    static void stopCeph() {
        CephStore.close(fixture);
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
        try (S3ObjectStore root = new S3ObjectStore(S3Location.parse("s3://contract"), CephStore.config(fixture.ceph()));
             S3ObjectStore sibling = new S3ObjectStore(S3Location.parse("s3://contract/some/pre"), CephStore.config(fixture.ceph()))) {
            assertThat(root.get("some/prefix/" + ns + "k")).containsExactly(1, 2, 3);
            assertThat(root.list("some/prefix/" + ns)).extracting(ObjectInfo::key).containsExactly("some/prefix/" + ns + "k");
            assertThat(sibling.list("")).isEmpty();
            assertThat(sibling.head("fix/" + ns + "k")).isNull();
        }
    }

    @Test
    void bucketIsCreatedOnceAndAMissingBucketIsNamed() {
        try (S3ObjectStore other = new S3ObjectStore(S3Location.parse("s3://other-" + ns.substring(2, 10)),
                CephStore.config(fixture.ceph()))) {
            assertThatThrownBy(() -> other.get("k")).isInstanceOf(ObjectStoreException.class)
                    .hasMessageContaining("the bucket does not exist")
                    .satisfies(e -> assertThat(((ObjectStoreException) e).code()).isEqualTo("ObjectStoreNoBucket"));
            assertThat(other.createBucketIfAbsent()).isTrue();
            assertThat(other.createBucketIfAbsent()).isFalse();
            other.put("k", new byte[] {9});
            assertThat(other.get("k")).containsExactly(9);
        }
    }
}
