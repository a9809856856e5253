package io.amiforge.cli.nbd;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.cli.common.GlobalOptions;
import io.amiforge.cli.store.StoreAccess;
import io.amiforge.nbd.NbdExport;
import io.amiforge.store.SnapshotStore;

/**
 * Resolves {@code nbd serve} names in the region's snapshot store: a snapshot id
 * ({@code snap-...}) is always exported read-only; a volume name read-write unless --read-only.
 * The store is opened on first use and stays open while the server runs; it is not locked as a
 * whole: an exported volume's lock is held until the server stops (another process writing it
 * gets {@code StoreLocked}), while other processes may snapshot, list, create and read. Block
 * status (holes) comes from the store's own allocation map: blocks never written in the chain,
 * or discarded, are holes.
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
                return new NbdExport(name, snapshot, true, "snapshot " + name);
            }
            BlockDevice volume = store.openVolume(name);
            return new NbdExport(name, volume, readOnly, "volume " + name);
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
