package io.amiforge.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One immutable snapshot: {@code parentId} is its lineage parent (null at a base),
 * {@code blockCount} the number of blocks this layer holds (written since the parent).
 * {@code volumeName} is the volume it was taken from (it may since have been deleted).
 * {@code ownerId} is the owning account; {@code createVolumePermission} the other accounts
 * (or {@code all}) that may create volumes from it.
 */
public record SnapshotInfo(String id, String volumeName, String parentId, long size, int blockSize,
        String description, Instant createdAt, long blockCount, Map<String, String> attributes,
        String ownerId, List<String> createVolumePermission) {
}
