package io.amiforge.store.remote;

import java.util.List;

/**
 * What {@link RemoteSnapshotStore#gc} removed.
 *
 * @param deleted          layer objects no snapshot names and superseded catalogue checkpoints, older than the grace period
 * @param abortedUploads   unfinished multipart uploads older than the grace period
 */
public record GcReport(List<String> deleted, int abortedUploads) {

    public GcReport {
        deleted = List.copyOf(deleted);
    }
}
