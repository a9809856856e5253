package io.amiforge.store.objects;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

/**
 * A flat namespace of immutable objects under one bucket and key prefix: what the snapshot store
 * needs from S3 and nothing more. Keys are relative to the prefix.
 *
 * <p>Contract every implementation keeps (the contract test checks it):
 * <ul>
 *   <li>an object is visible whole or not at all; a failed or interrupted {@link #putFile} leaves
 *       no object under its key (its multipart upload, if any, is aborted or left for
 *       {@link #abortStaleUploads});</li>
 *   <li>{@link #putIfAbsent} is atomic across hosts: of two concurrent calls with one key exactly
 *       one returns {@code true};</li>
 *   <li>reads of a missing key or range throw {@link ObjectStoreException} with kind
 *       {@code NOT_FOUND} naming the key; an unreachable endpoint throws kind
 *       {@code UNAVAILABLE} after the implementation's bounded retries (never hangs);</li>
 *   <li>every method may be called from any thread at once.</li>
 * </ul>
 */
public interface ObjectStore extends AutoCloseable {

    /**
     * Creates {@code key} with {@code body} unless an object of that key exists (S3's
     * {@code If-None-Match: *}). Returns whether this call created it.
     */
    boolean putIfAbsent(String key, byte[] body);

    /** Creates or replaces a small object in one request. */
    void put(String key, byte[] body);

    /**
     * Uploads {@code length} bytes of {@code file} from {@code offset} as one object, in parallel
     * parts when large; the object appears only when the whole upload completed.
     */
    void putFile(String key, Path file, long offset, long length);

    /** Reads a whole (small) object. */
    byte[] get(String key);

    /**
     * Reads {@code dst.remaining()} bytes of {@code key} starting at {@code offset} into
     * {@code dst} (a ranged GET), filling it completely or throwing.
     */
    void read(String key, long offset, ByteBuffer dst);

    /** The object's size and entity tag, or {@code null} when there is no such object. */
    ObjectInfo head(String key);

    /** Every object whose key starts with {@code prefix}, in key order (all pages). */
    List<ObjectInfo> list(String prefix);

    /** Deletes {@code key}; deleting a missing key is not an error. */
    void delete(String key);

    /**
     * Aborts unfinished multipart uploads under {@code prefix} started more than
     * {@code olderThanMillis} ago; returns how many were aborted.
     */
    int abortStaleUploads(String prefix, long olderThanMillis);

    /** Where this store lives, for messages: {@code s3://bucket/prefix} or {@code memory:}. */
    String describe();

    @Override
    void close();
}
