package io.amiforge.cloud;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.SnapshotStore;
import org.roaringbitmap.longlong.Roaring64Bitmap;

/**
 * EC2 CopySnapshot: a new, independent snapshot of the caller's in the destination region (the
 * same region or another) with the source's contents. The caller must be able to see the source:
 * its own, or one whose createVolumePermission names it (or {@code all}); otherwise the source
 * does not exist for it ({@code InvalidSnapshot.NotFound}), as in EC2.
 *
 * <p>The copy holds the source's whole contents in one layer (the blocks of the source's chain),
 * so deleting the source, or the source's owner withdrawing the permission, leaves it intact.
 * Every CopySnapshot makes a new snapshot, as EC2's does; CopyImage's incremental, lineage-keeping
 * copies ({@link SnapshotCopier}) are not reused here.
 */
final class SnapshotCopy {

    private final Cloud cloud;

    SnapshotCopy(Cloud cloud) {
        this.cloud = cloud;
    }

    SnapshotInfo copy(String caller, String sourceRegion, String snapshotId, String destRegion, String description) {
        String from = Region.named(sourceRegion).name();
        Region.named(destRegion);
        SnapshotInfo source = cloud.store(from, caller).snapshot(snapshotId); // NotFound unless its own or shared with it
        SnapshotStore trusted = cloud.store(from);
        Roaring64Bitmap present = new Roaring64Bitmap();
        for (SnapshotInfo s = source; s != null; s = s.parentId() == null ? null : trusted.snapshot(s.parentId())) {
            present.or(trusted.blocks(s.id()).bitmap());
        }
        String text = description != null ? description : "[Copied " + snapshotId + " from " + from + "]";
        try (BlockDevice contents = trusted.openSnapshot(snapshotId)) {
            return cloud.store(destRegion, caller).importSnapshot(null, contents, present, text);
        }
    }
}
