package io.amiforge.imagefmt.vhdx;

import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.BackingChain;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageFormat;
import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.format.ImageInfo;
import io.amiforge.imagefmt.raw.RawFormat;
import io.amiforge.imagefmt.sparse.HostFile;
import io.amiforge.imagefmt.sparse.Signature;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * VHDX (Hyper-V) images, read and written (dynamic disks): the file type identifier "vhdxfile", the current of the
 * two headers, the region table, the metadata items and the BAT, every structure checked by
 * its CRC-32C. A log with entries (an image not closed cleanly) is replayed into the view the
 * device reads, never into the file. Differencing disks are refused as unsupported.
 */
public final class VhdxFormat implements ImageFormat {

    private static final Signature SIGNATURE = new Signature("vhdxfile");

    /** For {@link java.util.ServiceLoader}. */
    public VhdxFormat() {
    }

    @Override
    public String name() {
        return "vhdx";
    }

    @Override
    public boolean probe(MemorySegment header, long fileSize) {
        return SIGNATURE.startsOf(header);
    }

    @Override
    public BlockDevice open(Path path, boolean readOnly, BackingChain chain) {
        HostFile file = HostFile.open(path, readOnly);
        try {
            VhdxHeader header = check(file);
            if (!readOnly && !header.logIsEmpty()) {
                throw ImageFormatException.notWritable(path.toString(), "the VHDX log holds entries to replay (the image was not closed "
                        + "cleanly); amiforge replays them only in memory: open it read-only, or let qemu-img or Hyper-V replay them");
            }
            HostFile view = VhdxLog.replayed(file, header);
            VhdxRegions regions = VhdxRegions.read(view);
            return new VhdxDevice(view, regions, metadataOf(view, regions), readOnly);
        } catch (RuntimeException | Error e) {
            file.close();
            throw e;
        }
    }

    private static VhdxHeader check(HostFile file) {
        byte[] id = new byte[8];
        file.read(0, java.nio.ByteBuffer.wrap(id));
        if (!java.util.Arrays.equals(id, SIGNATURE.bytes())) {
            throw ImageFormatException.corrupt(file.name(), "VHDX file type identifier at file offset 0 is not 'vhdxfile'");
        }
        return VhdxHeader.current(file);
    }

    private static VhdxMetadata metadataOf(HostFile file, VhdxRegions regions) {
        VhdxMetadata metadata = VhdxMetadata.read(file, regions);
        if (metadata.hasParent()) {
            throw ImageFormatException.unsupported(file.name(), "differencing VHDX images are not supported");
        }
        return metadata;
    }

    /** A new dynamic VHDX with 32 MiB blocks (qemu-img's default); a backing file (differencing disk) is refused. */
    @Override
    public BlockDevice create(Path path, long virtualSize, CreateOptions options) {
        if (options.backingFile() != null) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue",
                    path + ": differencing VHDX images are not supported; create a dynamic one");
        }
        if (options.subformat() != null && !options.subformat().equals("dynamic")) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue",
                    path + ": vhdx subformat '" + options.subformat() + "' cannot be created (supported: dynamic)");
        }
        VhdxCreator.create(path, virtualSize, VhdxCreator.DEFAULT_BLOCK_SIZE);
        return open(path, false, BackingChain.startingAt(path, 0));
    }

    @Override
    public ImageInfo info(Path path) {
        try (BlockDevice device = open(path, true, BackingChain.startingAt(path, 0));
             HostFile file = HostFile.open(path, true)) {
            VhdxHeader header = VhdxHeader.current(file);
            HostFile view = VhdxLog.replayed(file, header);
            VhdxMetadata metadata = VhdxMetadata.read(view, VhdxRegions.read(view));
            Map<String, Object> specific = new LinkedHashMap<>();
            specific.put("logicalSectorSize", metadata.logicalSectorSize());
            specific.put("diskId", String.valueOf(metadata.diskId()));
            specific.put("logReplayNeeded", !header.logIsEmpty());
            return new ImageInfo(path.toString(), name(), device.size(), RawFormat.diskUsage(path, file.size()), metadata.blockSize(),
                    null, null, List.of(), !header.logIsEmpty(), false, specific);
        }
    }
}
