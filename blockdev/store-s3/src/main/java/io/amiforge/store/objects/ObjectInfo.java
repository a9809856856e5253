package io.amiforge.store.objects;

/**
 * One object as a listing or {@code HEAD} reports it.
 *
 * @param key           the key, relative to the store's prefix
 * @param size          bytes
 * @param etag          the entity tag the store gave it (opaque)
 * @param lastModified  milliseconds since the epoch
 */
public record ObjectInfo(String key, long size, String etag, long lastModified) {
}
