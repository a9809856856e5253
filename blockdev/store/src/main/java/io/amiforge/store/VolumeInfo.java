package io.amiforge.store;

import java.time.Instant;

/**
 * What the store knows about one volume; {@code parentSnapshotId} is null for a volume created
 * empty and never snapshotted; {@code ownerId} is the owning account; {@code attachedTo} the
 * instance it is attached to, or null.
 */
public record VolumeInfo(String name, String id, long size, int blockSize, String writeStrategy, String readIndex,
        String parentSnapshotId, Instant createdAt, String ownerId, String attachedTo) {
}
