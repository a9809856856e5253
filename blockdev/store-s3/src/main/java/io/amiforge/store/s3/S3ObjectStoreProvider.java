package io.amiforge.store.s3;

import io.amiforge.store.objects.ObjectStore;
import io.amiforge.store.objects.ObjectStoreProvider;
import java.util.Map;

/** Serves {@code s3://bucket/prefix} URLs to {@link io.amiforge.store.objects.ObjectStores}: an {@link S3ObjectStore}. */
public final class S3ObjectStoreProvider implements ObjectStoreProvider {

    /** The provider {@link java.util.ServiceLoader} makes. */
    public S3ObjectStoreProvider() {
    }

    @Override
    public String scheme() {
        return "s3";
    }

    @Override
    public ObjectStore open(String url, Map<String, String> settings) {
        return S3ObjectStore.open(url, settings);
    }
}
