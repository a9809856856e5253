package io.amiforge.store.objects;

import java.util.Map;

/**
 * Opens object stores of one URL scheme ({@code s3}); found by {@link ObjectStores} through
 * {@link java.util.ServiceLoader}.
 */
public interface ObjectStoreProvider {

    /** The URL scheme this provider serves, without {@code ://}. */
    String scheme();

    /** Opens the store at {@code url} with {@code settings} (endpoint, region, keys: the AWS environment variables' names). */
    ObjectStore open(String url, Map<String, String> settings);
}
