package io.amiforge.store;

import io.amiforge.blockdev.BlockDevice;
import java.nio.file.Path;
import java.util.List;
import org.roaringbitmap.longlong.Roaring64Bitmap;

/**
 * A {@link SnapshotStore} as one account sees it ({@link SnapshotStore#as}). It offers the
 * store's operations, each checked against ownership under the catalog lock, in the same step as
 * the operation itself:
 * <ul>
 *   <li>volumes and snapshots of other accounts do not exist here: every operation on one fails
 *       with {@code InvalidVolume.NotFound} / {@code InvalidSnapshot.NotFound}, with the message a
 *       missing id gets, and changes nothing;</li>
 *   <li>a snapshot shared with the account (its create-volume permission names the account or
 *       {@code all}) may be described and cloned, nothing else; the clone is the account's;</li>
 *   <li>everything created here is owned by the account, the owner being part of the created
 *       record's own commit.</li>
 * </ul>
 * Thread-safe; closing the store closes every view of it.
 */
public final class TenantStore {

    private final SnapshotStore store;
    private final AccountId account;

    TenantStore(SnapshotStore store, AccountId account) {
        if (account == null) {
            throw StoreException.invalid("a tenant view needs an account");
        }
        this.store = store;
        this.account = account;
    }

    /** The account this view acts for. */
    public AccountId account() {
        return account;
    }

    /** The store directory. */
    public Path directory() {
        return store.directory();
    }

    /** Creates a volume owned by this account and opens it for writing. */
    public Volume createVolume(String name, long sizeBytes, VolumeOptions options) {
        return store.createVolume(account, name, sizeBytes, options);
    }

    /** Opens one of this account's volumes for writing. */
    public Volume openVolume(String name) {
        return store.openVolume(account, name);
    }

    /** This account's volumes. */
    public List<VolumeInfo> listVolumes() {
        return store.listVolumes(account);
    }

    public VolumeInfo volume(String name) {
        return store.volume(account, name);
    }

    /** Deletes one of this account's volumes; {@code VolumeInUse} while it is attached to an instance. */
    public void deleteVolume(String name) {
        store.deleteVolume(account, name);
    }

    /** A volume of this account cloned from a snapshot it owns or may create volumes from. */
    public Volume cloneVolume(String snapshotId, String newVolumeName) {
        return cloneVolume(snapshotId, newVolumeName, null);
    }

    public Volume cloneVolume(String snapshotId, String newVolumeName, VolumeOptions options) {
        return store.cloneVolume(account, account, snapshotId, newVolumeName, options);
    }

    /**
     * A volume of this account cloned from a snapshot {@code grantor} owns or may use, on the
     * grantor's authority: for the cloud launching an image the grantor shared with this account
     * (the caller has checked that launch permission). Not for anything a tenant names itself.
     */
    public Volume cloneGranted(AccountId grantor, String snapshotId, String newVolumeName) {
        return store.cloneVolume(grantor, account, snapshotId, newVolumeName, null);
    }

    /** Marks one of this account's volumes attached to {@code instanceId} (null: detached). */
    public void attach(String volumeName, String instanceId) {
        store.attach(account, volumeName, instanceId);
    }

    /** Snapshots one of this account's volumes; the snapshot is this account's. */
    public SnapshotInfo createSnapshot(String volumeName, String description) {
        return store.createSnapshot(account, volumeName, description);
    }

    /**
     * Snapshots one of this account's volumes under an id handed out earlier by
     * {@link SnapshotStore#newSnapshotId()} (EBS direct announces the id when an upload starts);
     * {@code InvalidInput} if the id is malformed or taken.
     */
    public SnapshotInfo createSnapshot(String volumeName, String description, String reservedId) {
        if (reservedId == null) {
            throw StoreException.invalid("a reserved snapshot id is required");
        }
        return store.createSnapshot(account, volumeName, description, reservedId);
    }

    /** The snapshots this account owns or may create volumes from. */
    public List<SnapshotInfo> listSnapshots() {
        return store.listSnapshots(account);
    }

    /** A snapshot this account owns or may create volumes from. */
    public SnapshotInfo snapshot(String id) {
        return store.snapshot(account, id);
    }

    /** Sets (null: removes) an attribute of one of this account's snapshots. */
    public void setSnapshotAttribute(String id, String key, String value) {
        store.setSnapshotAttribute(account, id, key, value);
    }

    /**
     * Adds and removes create-volume permissions (12-digit account ids or {@code all}) of one of
     * this account's snapshots; returns the snapshot afterwards.
     */
    public SnapshotInfo modifyCreateVolumePermission(String snapshotId, List<String> add, List<String> remove) {
        return store.modifyPermission(account, snapshotId, add == null ? List.of() : add, remove == null ? List.of() : remove);
    }

    /** A read-only device of one of this account's snapshots. */
    public BlockDevice openSnapshot(String id) {
        return store.openSnapshot(account, id);
    }

    /** Imports a snapshot owned by this account; its parent, if any, must be this account's too. */
    public SnapshotInfo importSnapshot(SnapshotInfo parentInThisStore, BlockDevice layerContents,
            Roaring64Bitmap blocksPresent, String description) {
        return store.importSnapshot(account, parentInThisStore, layerContents, blocksPresent, description);
    }

    /** {@link SnapshotStore#importSnapshot(SnapshotInfo, BlockDevice, BlockRuns, String)} for this account. */
    public SnapshotInfo importSnapshot(SnapshotInfo parentInThisStore, BlockDevice layerContents, BlockRuns runs,
            String description) {
        return store.importSnapshot(account, parentInThisStore, layerContents, runs, description);
    }

    /** Rolls one of this account's volumes back to one of its snapshots; {@code VolumeInUse} while attached. */
    public void rollback(String volumeName, String snapshotId) {
        store.rollback(account, volumeName, snapshotId);
    }

    public void deleteSnapshot(String id) {
        store.deleteSnapshot(account, id);
    }

    public void flatten(String volumeName) {
        store.flatten(account, volumeName);
    }

    /** Blocks that differ between two of this account's snapshots. */
    public ChangedBlocks diff(String fromSnapshotId, String toSnapshotId) {
        return store.diff(account, fromSnapshotId, toSnapshotId);
    }

    public ChangedBlocks blocks(String snapshotId) {
        return store.blocks(account, snapshotId);
    }

    @Override
    public String toString() {
        return store.directory() + " as " + account;
    }
}
