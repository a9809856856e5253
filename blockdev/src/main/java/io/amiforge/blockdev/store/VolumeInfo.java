package io.amiforge.blockdev.store;
/** TEMPORARY STUB. */
public record VolumeInfo(String name, String id, long size, int blockSize, String writeStrategy, String readIndex, String parentSnapshotId, java.time.Instant createdAt) { }
