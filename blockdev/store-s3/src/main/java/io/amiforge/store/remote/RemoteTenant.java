package io.amiforge.store.remote;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.store.AccountId;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.Volume;
import java.util.List;

/**
 * A {@link RemoteSnapshotStore} as one account sees it, with the local store's ownership rules:
 * another account's snapshot does not exist here ({@code InvalidSnapshot.NotFound}, the words of a
 * missing id) unless it is shared with this account, which may then describe and clone it (the
 * clone is this account's); only the owner opens, shares or deletes a snapshot; a snapshot of this
 * account's volume is this account's. Volumes are those of {@code local().as(account)}.
 */
public final class RemoteTenant {

    private final RemoteSnapshotStore store;
    private final AccountId account;

    RemoteTenant(RemoteSnapshotStore store, AccountId account) {
        this.store = store;
        this.account = account;
    }

    public AccountId account() {
        return account;
    }

    /** Snapshots one of this account's local volumes and publishes it. */
    public SnapshotInfo createSnapshot(String volumeName, String description) {
        return store.createSnapshot(account, volumeName, description);
    }

    /** The remote snapshots this account owns or may create volumes from. */
    public List<SnapshotInfo> listSnapshots() {
        return store.listSnapshots().stream().filter(s -> s.ownerId().equals(account.value())
                || s.createVolumePermission().contains("all") || s.createVolumePermission().contains(account.value())).toList();
    }

    /** A snapshot this account owns or may use. */
    public SnapshotInfo snapshot(String id) {
        return store.record(account, id, true).info();
    }

    /** The contents of a snapshot this account owns. */
    public BlockDevice openSnapshot(String id) {
        store.record(account, id, false);
        return store.openSnapshot(id);
    }

    /** A new volume of this account's from a snapshot it owns or may use. */
    public Volume cloneVolume(String id, String newVolumeName) {
        return store.cloneVolume(account, id, newVolumeName);
    }

    /** Shares (or stops sharing) a snapshot this account owns: 12-digit accounts or {@code all}. */
    public SnapshotInfo modifyCreateVolumePermission(String id, List<String> add, List<String> remove) {
        return store.modifyPermission(account, id, add == null ? List.of() : add, remove == null ? List.of() : remove);
    }

    /** Deletes a snapshot this account owns (EBS semantics, see {@link RemoteSnapshotStore#deleteSnapshot}). */
    public void deleteSnapshot(String id) {
        store.record(account, id, false);
        store.deleteSnapshot(id);
    }

    @Override
    public String toString() {
        return "account " + account.value() + " of " + store.objects().describe();
    }
}
