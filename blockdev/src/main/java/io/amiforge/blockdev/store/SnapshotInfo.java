package io.amiforge.blockdev.store;
/** TEMPORARY STUB. */
public record SnapshotInfo(String id, String volumeName, String parentId, long size, int blockSize, String description, java.time.Instant createdAt, long blockCount, java.util.Map<String, String> attributes) { }
