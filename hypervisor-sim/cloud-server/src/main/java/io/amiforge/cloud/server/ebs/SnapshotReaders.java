package io.amiforge.cloud.server.ebs;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.store.TenantStore;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Open snapshot devices for GetSnapshotBlock, kept a few seconds per account and snapshot:
 * opening one goes through the store's single journal thread (queued behind every write in
 * flight) and builds the chain's read index, which for 16 parallel readers cost more than the
 * reads. A kept device is used for at most {@link #LIFETIME} and dropped at once when the
 * snapshot is deleted through this server; a snapshot another process deletes stays readable
 * here for at most that long. At most {@link #CAPACITY} are kept, least recently used dropped.
 *
 * <p>Keys include the account: a device kept for one account is never handed to another. A
 * snapshot device holds no resource of its own (closing it is a no-op), so dropping it is enough.
 */
final class SnapshotReaders {

    static final Duration LIFETIME = Duration.ofSeconds(5);
    static final int CAPACITY = 64;

    private record Kept(BlockDevice device, long untilNanos) {
    }

    private final Map<String, Kept> kept = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Kept> eldest) {
            return size() > CAPACITY;
        }
    };

    /** A device over {@code snapshotId} as {@code store}'s account sees it, kept or freshly opened. */
    BlockDevice open(TenantStore store, String snapshotId) {
        String key = key(store, snapshotId);
        long now = System.nanoTime(); // a cache's age, not the API's time: the server's clock may be a test's fixed one
        synchronized (kept) {
            Kept k = kept.get(key);
            if (k != null && now - k.untilNanos() < 0) {
                return k.device();
            }
        }
        BlockDevice device = store.openSnapshot(snapshotId); // outside the lock: it may wait for the journal
        synchronized (kept) {
            kept.put(key, new Kept(device, now + LIFETIME.toNanos()));
        }
        return device;
    }

    /** Drops every kept device of {@code snapshotId} in {@code store} (it was deleted, or a read of it failed). */
    void forget(TenantStore store, String snapshotId) {
        String suffix = '/' + store.directory().toString() + '/' + snapshotId;
        synchronized (kept) {
            kept.keySet().removeIf(k -> k.endsWith(suffix));
        }
    }

    private static String key(TenantStore store, String snapshotId) {
        return store.account().value() + '/' + store.directory() + '/' + snapshotId;
    }
}
