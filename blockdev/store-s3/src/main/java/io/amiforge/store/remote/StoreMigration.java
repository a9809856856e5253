package io.amiforge.store.remote;

import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.SnapshotStore;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Copies the snapshots of a local store to an object store ({@link #toRemote}) or those of an
 * object store into a local store ({@link #toLocal}), lineage and contents identical, parents
 * first. Resumable: a run that failed part way is simply run again; what was copied is found
 * (a remote snapshot of the same id, an uploaded object with the same checksum, a local snapshot
 * whose {@value RemoteSnapshotStore#REMOTE_ID} attribute names it) and skipped. Volumes are not
 * copied (snapshot them first).
 */
public final class StoreMigration {

    /**
     * What one run did.
     *
     * @param copied   snapshots copied by this run
     * @param skipped  snapshots found already copied
     */
    public record Result(int copied, int skipped) {
    }

    private StoreMigration() {
    }

    /** Publishes every snapshot of {@code from} to {@code to} (the same ids). */
    public static Result toRemote(SnapshotStore from, RemoteSnapshotStore to) {
        Set<String> before = new HashSet<>();
        for (SnapshotInfo s : to.listSnapshots()) {
            before.add(s.id());
        }
        int copied = 0;
        int skipped = 0;
        for (SnapshotInfo s : from.listSnapshots()) {
            String remoteId = s.attributes().getOrDefault(RemoteSnapshotStore.REMOTE_ID, s.id());
            if (before.contains(remoteId)) {
                skipped++;
                continue;
            }
            to.publish(from, s.id());
            copied++;
        }
        return new Result(copied, skipped);
    }

    /** Copies every snapshot of {@code from} into {@code to} (new local ids; each names its remote id in an attribute). */
    public static Result toLocal(RemoteSnapshotStore from, SnapshotStore to) {
        Set<String> before = new HashSet<>();
        for (SnapshotInfo s : to.listSnapshots()) {
            String remote = s.attributes().get(RemoteSnapshotStore.REMOTE_ID);
            if (remote != null) {
                before.add(remote);
            }
        }
        int copied = 0;
        int skipped = 0;
        List<SnapshotInfo> all = from.listSnapshots();
        for (SnapshotInfo s : all) {
            if (before.contains(s.id())) {
                skipped++;
                continue;
            }
            from.localCopy(to, s.id());
            copied++;
        }
        return new Result(copied, skipped);
    }
}
