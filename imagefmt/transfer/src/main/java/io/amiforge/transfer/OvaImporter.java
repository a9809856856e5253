package io.amiforge.transfer;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.ova.OvaAppliance;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.TenantStore;
import io.amiforge.store.Volume;
import java.util.ArrayList;
import java.util.List;

/**
 * Imports disks of an OVA into a snapshot store, each read in place inside the archive (checked
 * against its descriptor capacity) and kept as one snapshot and a volume cloned from it. The
 * import is all or nothing: when one disk fails, the volumes and snapshots made for the others
 * are deleted before the failure is thrown.
 */
public final class OvaImporter {

    /** One imported disk: which it was, its volume, its snapshot. */
    public record Imported(OvaAppliance.Disk disk, String volumeName, SnapshotInfo snapshot) {
    }

    private OvaImporter() {
    }

    /**
     * Imports {@code disks} of {@code appliance} into volumes named {@code volumeNames} (one name
     * per disk, in order) with {@code blockSize}-byte blocks; returns them in the same order.
     */
    public static List<Imported> importDisks(TenantStore store, OvaAppliance appliance, List<OvaAppliance.Disk> disks,
            List<String> volumeNames, int blockSize) {
        if (disks.size() != volumeNames.size()) {
            throw new IllegalArgumentException(disks.size() + " disks but " + volumeNames.size() + " volume names");
        }
        for (String name : volumeNames) {
            if (store.listVolumes().stream().anyMatch(v -> v.name().equals(name))) {
                throw new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidVolume.Duplicate",
                        "volume '" + name + "' already exists; nothing was imported from " + appliance.file());
            }
        }
        List<Imported> done = new ArrayList<>();
        List<SnapshotInfo> snapshots = new ArrayList<>();
        try {
            for (int i = 0; i < disks.size(); i++) {
                OvaAppliance.Disk disk = disks.get(i);
                SnapshotInfo snapshot;
                try (BlockDevice device = appliance.open(disk)) {
                    snapshot = ChainImporter.importLayer(store, null, device, LayerRuns.ofDevice(device, blockSize), appliance.file(),
                            false, blockSize, "imported from %s disk %d '%s' (%s)".formatted(appliance.file().getFileName(),
                                    disk.number(), disk.id(), disk.member()), snapshots);
                }
                try (Volume _ = store.cloneVolume(snapshot.id(), volumeNames.get(i))) {
                    done.add(new Imported(disk, volumeNames.get(i), snapshot));
                }
            }
            return List.copyOf(done);
        } catch (RuntimeException | Error e) {
            try {
                for (Imported made : done) {
                    store.deleteVolume(made.volumeName());
                }
            } catch (RuntimeException | Error suppressed) {
                e.addSuppressed(suppressed);
            }
            ChainImporter.undo(store, snapshots, e);
            throw e;
        }
    }
}
