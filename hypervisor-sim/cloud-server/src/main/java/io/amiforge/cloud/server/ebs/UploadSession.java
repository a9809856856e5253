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
 * counts them and checks their aggregate). Blocks of one session may be put concurrently.
 */
final class UploadSession {

    /** Where a session is in its life. */
    enum Status { PENDING, COMPLETING, COMPLETED, ERROR }

    final String snapshotId;
    final String account;
    final String region;
    final String volumeName;
    final Volume volume;
    final long volumeSizeGiB;
    final String parentSnapshotId;
    final String description;
    final List<Map.Entry<String, String>> tags;
    final String clientToken;
    final Instant startTime;
    final Instant deadline;
    final ConcurrentSkipListMap<Long, byte[]> digests = new ConcurrentSkipListMap<>();
    volatile Status status = Status.PENDING;

    UploadSession(String snapshotId, String account, String region, String volumeName, Volume volume, long volumeSizeGiB,
                  String parentSnapshotId, String description, List<Map.Entry<String, String>> tags, String clientToken,
                  Instant startTime, Instant deadline) {
        this.snapshotId = snapshotId;
        this.account = account;
        this.region = region;
        this.volumeName = volumeName;
        this.volume = volume;
        this.volumeSizeGiB = volumeSizeGiB;
        this.parentSnapshotId = parentSnapshotId;
        this.description = description;
        this.tags = List.copyOf(tags);
        this.clientToken = clientToken;
        this.startTime = startTime;
        this.deadline = deadline;
    }

    /** The number of 512 KiB blocks of the volume. */
    long blockCount() {
        return (volumeSizeGiB << 30) / EbsDirectApi.BLOCK_SIZE;
    }
}
