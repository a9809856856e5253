package io.amiforge.cloud.server.ebs;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The SHA-256 of snapshot blocks that GetSnapshotBlock sends in {@code x-amz-Checksum}, so a
 * block is hashed at most once: CompleteSnapshot hands over the digests PutSnapshotBlock
 * verified, and a block of any other snapshot (made by the CLI, or inherited from a parent) is
 * hashed on its first read. Snapshots are immutable, so a digest stays true while the
 * snapshot exists; a deleted snapshot's digests are forgotten. Keys name the store directory
 * and the snapshot (never an account: a digest is only given out after the caller's read of
 * the block succeeded). At most {@link #CAPACITY} digests are kept in all, the least recently
 * used snapshot's dropped first. Thread-safe.
 */
final class BlockDigests {

    /** Digests kept at most: 128 GiB of blocks, about 25 MB of heap (32 bytes each and the map's overhead). */
    static final int CAPACITY = 1 << 18;

    private final Map<String, Map<Long, byte[]>> bySnapshot = new LinkedHashMap<>(16, 0.75f, true);
    private int kept;

    /** The digest of block {@code index} of snapshot {@code key}, or null if it is not known. */
    byte[] get(String key, long index) {
        Map<Long, byte[]> blocks;
        synchronized (bySnapshot) {
            blocks = bySnapshot.get(key);
        }
        return blocks == null ? null : blocks.get(index);
    }

    /** Records the digest of one block of snapshot {@code key} (unless it would be one more than CAPACITY). */
    void put(String key, long index, byte[] digest) {
        synchronized (bySnapshot) {
            if (!room(key, 1)) {
                return;
            }
            if (bySnapshot.computeIfAbsent(key, _ -> new ConcurrentHashMap<>()).put(index, digest) == null) {
                kept++;
            }
        }
    }

    /** Records the digests of every block a completed upload wrote (copied: the caller's map may change). */
    void putAll(String key, Map<Long, byte[]> digests) {
        synchronized (bySnapshot) {
            if (!room(key, digests.size())) {
                return;
            }
            Map<Long, byte[]> blocks = bySnapshot.computeIfAbsent(key, _ -> new ConcurrentHashMap<>());
            int before = blocks.size();
            blocks.putAll(digests);
            kept += blocks.size() - before;
        }
    }

    /** Forgets snapshot {@code key} (it was deleted). */
    void forget(String key) {
        synchronized (bySnapshot) {
            Map<Long, byte[]> gone = bySnapshot.remove(key);
            if (gone != null) {
                kept -= gone.size();
            }
        }
    }

    /**
     * Makes room for {@code more} digests of snapshot {@code key} by dropping least recently used
     * other snapshots; false if even then they would not fit (a snapshot of more than CAPACITY
     * blocks: its further blocks are hashed on every read).
     */
    private boolean room(String key, int more) {
        if (more > CAPACITY) {
            return false;
        }
        Iterator<Map.Entry<String, Map<Long, byte[]>>> eldest = bySnapshot.entrySet().iterator();
        while ((long) kept + more > CAPACITY && eldest.hasNext()) {
            Map.Entry<String, Map<Long, byte[]>> e = eldest.next();
            if (!e.getKey().equals(key)) {
                kept -= e.getValue().size();
                eldest.remove();
            }
        }
        return (long) kept + more <= CAPACITY;
    }
}
