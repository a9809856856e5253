package io.amiforge.cli.nbd;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.cli.common.GlobalOptions;
import io.amiforge.cli.store.StoreAccess;
import io.amiforge.nbd.NbdExport;
import io.amiforge.store.TenantStore;

/**
 * Resolves {@code nbd serve} names in the region's snapshot store: a snapshot id
 * ({@code snap-...}) is always exported read-only; a volume name read-write unless --read-only.
 * The store is opened on first use and stays open while the server runs; it is not locked as a
 * whole: an exported volume's lock is held until the server stops (another process writing it
 * gets {@code StoreLocked}), while other processes may snapshot, list, create and read. Block
 * status (holes) comes from the store's own allocation map: blocks never written in the chain,
 * or discarded, are holes. Names resolve in the acting account's view (--account): another
 * account's volume or snapshot is not found, exactly as a missing one.
 */
final class StoreExportResolver implements ExportResolver {

    private StoreAccess.Session session;

    @Override
    public NbdExport resolve(String name, boolean readOnly, GlobalOptions global) {
        if (session == null) {
            session = StoreAccess.open(global);
        }
        TenantStore store = session.store(); // the acting account's: another account's name is not found
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
        if (session != null) {
            session.close();
            session = null;
        }
    }
}
