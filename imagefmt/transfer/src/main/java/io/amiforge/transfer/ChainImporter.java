package io.amiforge.transfer;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageInfo;
import io.amiforge.imagefmt.format.ImageSource;
import io.amiforge.store.AccountId;
import io.amiforge.store.BlockRuns;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.TenantStore;
import io.amiforge.store.Volume;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Imports a disk image into a snapshot store. A raw image (or the raw base of a chain) becomes
 * one snapshot holding its non-zero blocks; each qcow2 layer of a backing chain becomes one
 * snapshot holding the blocks that layer answers for (data or zero clusters), parented on the
 * snapshot of its backing file, so the chain's history becomes the snapshot chain. The volume
 * is then a clone of the top snapshot.
 *
 * <p>Cost follows the data, not the virtual size: holes of a raw image are found with
 * SEEK_DATA/SEEK_HOLE and qcow2 layers are walked through their allocation map without reading
 * ({@link LayerRuns}); the blocks found are read up to 4 MiB at a time straight into the store's bulk
 * path and written once, each layer with one durable commit. An image whose size is not a
 * multiple of the block size imports padded with zeros to the next multiple. A failed or short
 * read fails the import with the file and offset, and leaves nothing behind.
 */
public final class ChainImporter {

    /** What an import made: the volume and the snapshots, base first. */
    public record Result(String volumeName, List<SnapshotInfo> snapshots) {
    }

    private ChainImporter() {
    }

    /** Imports with 4 KiB blocks. */
    public static Result importImage(SnapshotStore store, String volumeName, Path image) {
        return importImage(store, volumeName, image, 4096);
    }

    /** Imports with {@code blockSize}-byte store blocks (a power of two from 512 B to 512 KiB). */
    public static Result importImage(SnapshotStore store, String volumeName, Path image, int blockSize) {
        return importImage(store, volumeName, ImageSource.of(image), blockSize);
    }

    /**
     * Imports {@code source} (its format named or probed; its backing files followed under
     * {@link io.amiforge.imagefmt.format.BackingChain}'s rule) with {@code blockSize}-byte blocks.
     */
    public static Result importImage(SnapshotStore store, String volumeName, ImageSource source, int blockSize) {
        return importImage(store.as(AccountId.DEFAULT), volumeName, source, blockSize);
    }

    /** As {@link #importImage(SnapshotStore, String, ImageSource, int)}, for one account: the volume and snapshots are its. */
    public static Result importImage(TenantStore store, String volumeName, ImageSource source, int blockSize) {
        List<ImageInfo> chain = new ArrayList<>(ImageFormats.info(source).backingChain());
        java.util.Collections.reverse(chain); // base first
        if (exists(store, volumeName)) {
            throw new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidVolume.Duplicate",
                    "volume '" + volumeName + "' already exists");
        }
        List<SnapshotInfo> snapshots = new ArrayList<>();
        try {
            return importChain(store, volumeName, source, blockSize, chain, snapshots);
        } catch (RuntimeException | Error e) {
            if (!committed(store, volumeName, e)) {
                undo(store, snapshots, e);
            }
            throw e;
        }
    }

    private static boolean exists(TenantStore store, String volumeName) {
        return store.listVolumes().stream().anyMatch(v -> v.name().equals(volumeName));
    }

    /** Whether the final clone committed (a failure after its commit point): the import then stands. */
    private static boolean committed(TenantStore store, String volumeName, Throwable failure) {
        try {
            return exists(store, volumeName);
        } catch (RuntimeException | Error e) {
            failure.addSuppressed(e);
            return false;
        }
    }

    /**
     * Deletes the snapshots a failed import made, newest first, so that a failed import leaves
     * nothing behind (the volume itself is only created by the last step, one atomic clone).
     */
    static void undo(TenantStore store, List<SnapshotInfo> snapshots, Throwable failure) {
        for (int i = snapshots.size() - 1; i >= 0; i--) {
            try {
                store.deleteSnapshot(snapshots.get(i).id());
            } catch (RuntimeException | Error e) {
                failure.addSuppressed(e);
                return; // the store is failing: later snapshots are kept rather than a chain broken
            }
        }
    }

    /**
     * Imports one layer: {@code runs} of {@code device} (read from {@code file}, checked for
     * shortening when {@code raw}) as a snapshot over {@code parent}, added to {@code snapshots}
     * as soon as it exists, and checked to have {@code blockSize}-byte blocks.
     */
    static SnapshotInfo importLayer(TenantStore store, SnapshotInfo parent, BlockDevice device, BlockRuns runs, Path file, boolean raw,
            int blockSize, String description, List<SnapshotInfo> snapshots) {
        SnapshotInfo made = store.importSnapshot(parent, new ImportView(device, file, blockSize, raw), runs, description);
        snapshots.add(made);
        if (made.blockSize() != blockSize) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue", "the store keeps "
                    + file + " in " + made.blockSize() + "-byte blocks, not " + blockSize + "; choose 4K or more");
        }
        return made;
    }

    private static Result importChain(TenantStore store, String volumeName, ImageSource source, int blockSize,
            List<ImageInfo> chain, List<SnapshotInfo> snapshots) {
        Path image = source.file();
        SnapshotInfo parent = null;
        for (ImageInfo layer : chain) {
            Path layerFile = Path.of(layer.file());
            String format = layer.format();
            // Each layer is opened as the format the chain walk found, under the same backing rule.
            ImageSource layerSource = new ImageSource(layerFile, format, source.backingDir(), source.maxChainDepth());
            try (BlockDevice view = ImageFormats.open(layerSource, true)) {
                boolean qcow2 = format.equals("qcow2");
                BlockRuns runs = qcow2 ? LayerRuns.ofQcow2(layerFile, blockSize, parent != null)
                        : LayerRuns.ofDevice(view, blockSize);
                parent = importLayer(store, parent, view, runs, layerFile, format.equals("raw"), blockSize,
                        "imported from " + layerFile.getFileName() + " (" + format + ")", snapshots);
            }
        }
        if (parent == null) {
            throw new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidImageFormat", image + ": no layers to import");
        }
        try (Volume _ = store.cloneVolume(parent.id(), volumeName)) {
            return new Result(volumeName, snapshots);
        }
    }
}
