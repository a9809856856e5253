package io.amiforge.cloud.server.ebs;

import io.amiforge.store.Volume;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * One snapshot being written through EBS direct, between StartSnapshot and CompleteSnapshot:
 * the volume the blocks go to, what StartSnapshot was asked (for ClientToken idempotency and
 * the answer) and the SHA-256 of every block put so far, by block index (CompleteSnapshot
 * counts them and checks their aggregate). Blocks of one session may be put concurrently. Its
 * state is saved by {@link PendingUploads} (the record, and each block in {@link BlockLog}), so a
 * restarted server continues it; one that ended in error keeps {@code failure} and no volume.
 */
final class UploadSession {

    /** Where a session is in its life. */
    enum Status { PENDING, COMPLETING, COMPLETED, ERROR }

    final String snapshotId;
    final String account;
    final String region;
    final String volumeName;
    final Volume volume;
    final BlockLog log;
    final long volumeSizeGiB;
    final String parentSnapshotId;
    final String description;
    final List<Map.Entry<String, String>> tags;
    final String clientToken;
    final Instant startTime;
    final Instant deadline;
    final ConcurrentSkipListMap<Long, byte[]> digests = new ConcurrentSkipListMap<>();
    volatile Status status = Status.PENDING;
    volatile String failure;

    UploadSession(String snapshotId, String account, String region, String volumeName, Volume volume, BlockLog log,
                  long volumeSizeGiB, String parentSnapshotId, String description, List<Map.Entry<String, String>> tags,
                  String clientToken, Instant startTime, Instant deadline) {
        this.snapshotId = snapshotId;
        this.account = account;
        this.region = region;
        this.volumeName = volumeName;
        this.volume = volume;
        this.log = log;
        this.volumeSizeGiB = volumeSizeGiB;
        this.parentSnapshotId = parentSnapshotId;
        this.description = description;
        this.tags = List.copyOf(tags);
        this.clientToken = clientToken;
        this.startTime = startTime;
        this.deadline = deadline;
    }

    /** The session as {@link PendingUploads} saves it. */
    PendingUploads.Saved saved() {
        List<Map<String, String>> savedTags = tags.stream().map(t -> Map.of("Key", t.getKey(), "Value", t.getValue())).toList();
        return new PendingUploads.Saved(snapshotId, account, region, volumeName, volumeSizeGiB, parentSnapshotId, description,
                savedTags, clientToken, startTime.toString(), deadline.toString(), failure);
    }

    /** A session as saved, writing to {@code volume} and {@code log} (both null for one that ended in error). */
    static UploadSession of(PendingUploads.Saved saved, Volume volume, BlockLog log) {
        List<Map.Entry<String, String>> tags = saved.tags() == null ? List.of()
                : saved.tags().stream().map(t -> Map.entry(t.getOrDefault("Key", ""), t.getOrDefault("Value", ""))).toList();
        return new UploadSession(saved.snapshotId(), saved.account(), saved.region(), saved.volumeName(), volume, log,
                saved.volumeSizeGiB(), saved.parentSnapshotId(), saved.description(), tags, saved.clientToken(),
                Instant.parse(saved.startTime()), Instant.parse(saved.deadline()));
    }

    /** The number of 512 KiB blocks of the volume. */
    long blockCount() {
        return (volumeSizeGiB << 30) / EbsDirectApi.BLOCK_SIZE;
    }
}
