package io.amiforge.cli.nbd;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.cli.GlobalOptions;
import io.amiforge.cli.store.StoreAccess;
import io.amiforge.nbd.NbdExport;
import io.amiforge.nbd.ZeroScanBlockStatus;
import io.amiforge.store.SnapshotStore;

/**
 * Resolves {@code nbd serve} names in the region's snapshot store: a snapshot id
 * ({@code snap-...}) is always exported read-only; a volume name read-write unless --read-only.
 * The store is opened on first use and stays open (and locked) while the server runs. Block
 * status (holes) comes from scanning for zero runs, not yet from the store's allocation map.
 */
final class StoreExportResolver implements ExportResolver {

    private SnapshotStore store;

    @Override
    public NbdExport resolve(String name, boolean readOnly, GlobalOptions global) {
        if (store == null) {
            store = StoreAccess.open(global);
        }
        try {
            if (name.startsWith("snap-")) {
                BlockDevice snapshot = store.openSnapshot(name);
                return new NbdExport(name, snapshot, true, "snapshot " + name, new ZeroScanBlockStatus(snapshot));
            }
            BlockDevice volume = store.openVolume(name);
            return new NbdExport(name, volume, readOnly, "volume " + name, new ZeroScanBlockStatus(volume));
        } catch (AmiforgeException e) {
            if (e.kind() == AmiforgeException.Kind.NOT_FOUND) {
                return null;
            }
            throw e;
        }
    }

    @Override
    public void close() {
        if (store != null) {
            store.close();
            store = null;
        }
    }
}
