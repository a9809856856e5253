package io.amiforge.store;

import java.time.Instant;

/** What the store knows about one volume; {@code parentSnapshotId} is null for a volume created empty and never snapshotted. */
public record VolumeInfo(String name, String id, long size, int blockSize, String writeStrategy, String readIndex,
        String parentSnapshotId, Instant createdAt) {
}
