package io.amiforge.imagefmt.vhdx;

import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.BackingChain;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageFormat;
import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageInfo;
import io.amiforge.imagefmt.raw.RawFormat;
import io.amiforge.imagefmt.sparse.HostFile;
import io.amiforge.imagefmt.sparse.Signature;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * VHDX (Hyper-V) images, read and written (dynamic and differencing disks): the file type
 * identifier "vhdxfile", the current of the two headers, the region table, the metadata items
 * and the BAT, every structure checked by its CRC-32C. A log with entries (an image not closed
 * cleanly) is replayed into the view the device reads, never into the file. A differencing
 * disk's parent is a backing file in format vhdx, found through its parent locator (relative
 * path first) and opened only as {@link BackingChain} allows; the parent's DataWriteGuid must
 * be the one the locator's parent_linkage names.
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
            VhdxMetadata metadata = VhdxMetadata.read(view, regions);
            BlockDevice parent = metadata.hasParent() ? openParent(path, metadata.parent(), chain) : null;
            try {
                return new VhdxDevice(view, header, regions, metadata, readOnly, parent);
            } catch (RuntimeException | Error e) {
                if (parent != null) {
                    parent.close();
                }
                throw e;
            }
        } catch (RuntimeException | Error e) {
            file.close();
            throw e;
        }
    }

    /**
     * Opens a differencing disk's parent read-only under the chain's rule (the child's directory
     * or the allowed one, no absolute host paths from the image): it must be a VHDX whose
     * DataWriteGuid is one the locator links to.
     */
    private BlockDevice openParent(Path child, VhdxParentLocator locator, BackingChain chain) {
        String name = locator.parentName();
        if (name == null) {
            throw ImageFormatException.corrupt(child.toString(), "differencing VHDX's parent locator has no relative_path, volume_path "
                    + "or absolute_win32_path entry");
        }
        List<UUID> linkages = locator.linkages(child.toString());
        Path real = chain.enter(child, name);
        try (HostFile file = HostFile.open(real, true)) {
            if (!isVhdx(file)) {
                throw ImageFormatException.chain(Kind.INVALID_INPUT,
                        "%s: parent '%s' of the differencing VHDX is not a VHDX (no 'vhdxfile' identifier)".formatted(child, real));
            }
            UUID dataWrite = VhdxHeader.current(file).dataWriteGuid();
            if (!linkages.contains(dataWrite)) {
                throw ImageFormatException.chain(Kind.INVALID_INPUT, ("%s: parent '%s' has DataWriteGuid %s, but the differencing VHDX's "
                        + "parent_linkage is %s: the parent changed after the child was made, or it is another disk")
                        .formatted(child, real, dataWrite, linkages.size() == 1 ? linkages.get(0) : linkages));
            }
        }
        return open(real, true, chain);
    }

    private static boolean isVhdx(HostFile file) {
        byte[] id = new byte[SIGNATURE.bytes().length];
        if (file.size() < id.length) {
            return false;
        }
        file.read(0, ByteBuffer.wrap(id));
        return Arrays.equals(id, SIGNATURE.bytes());
    }

    private static VhdxHeader check(HostFile file) {
        if (!isVhdx(file)) {
            throw ImageFormatException.corrupt(file.name(), "VHDX file type identifier at file offset 0 is not 'vhdxfile'");
        }
        return VhdxHeader.current(file);
    }

    /**
     * A new dynamic VHDX with 32 MiB blocks (qemu-img's default) or, with a backing file, a
     * differencing VHDX with 2 MiB blocks (Hyper-V's choice for them) whose parent must be a
     * VHDX of the same size: its locator holds the parent's DataWriteGuid and the backing name
     * as the relative path.
     */
    @Override
    public BlockDevice create(Path path, long virtualSize, CreateOptions options) {
        if (options.subformat() != null && !options.subformat().equals("dynamic")) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue",
                    path + ": vhdx subformat '" + options.subformat() + "' cannot be created (supported: dynamic)");
        }
        if (options.backingFile() == null) {
            VhdxCreator.create(path, virtualSize, VhdxCreator.DEFAULT_BLOCK_SIZE, null);
            return created(open(path, false, BackingChain.startingAt(path, 0)));
        }
        if (options.backingFormat() != null && !options.backingFormat().equals(name())) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue",
                    path + ": the parent of a differencing VHDX must be a VHDX, not " + options.backingFormat());
        }
        Path parentPath = BackingChain.resolve(path, options.backingFile());
        ImageInfo parent = ImageFormats.info(parentPath);
        if (!parent.format().equals(name())) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue",
                    path + ": the parent of a differencing VHDX must be a VHDX, not " + parent.format() + " (" + parentPath + ")");
        }
        long size = virtualSize < 0 ? parent.virtualSize() : virtualSize;
        if (size != parent.virtualSize()) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue", "%s: size %d differs from the parent's %d (a differencing "
                    .formatted(path, size, parent.virtualSize()) + "VHDX has its parent's size)");
        }
        UUID linkage = UUID.fromString(String.valueOf(parent.formatSpecific().get("dataWriteGuid")));
        VhdxCreator.create(path, size, VhdxCreator.DIFFERENCING_BLOCK_SIZE, VhdxParentLocator.of(linkage, options.backingFile()));
        // The creator named the parent: its directory is allowed when the new image is opened (as qcow2 does).
        return created(open(path, false, BackingChain.startingAt(path, BackingChain.DEFAULT_MAX_DEPTH, parentPath.toAbsolutePath().getParent())));
    }

    /** The device over a file {@link #create} just made (see {@link VhdxDevice#created}). */
    private static BlockDevice created(BlockDevice device) {
        ((VhdxDevice) device).created();
        return device;
    }

    @Override
    public ImageInfo info(Path path) {
        try (HostFile file = HostFile.open(path, true)) {
            VhdxHeader header = check(file);
            HostFile view = VhdxLog.replayed(file, header);
            VhdxRegions regions = VhdxRegions.read(view);
            VhdxMetadata metadata = VhdxMetadata.read(view, regions);
            new VhdxDevice(view, header, regions, metadata, true, null).close(); // checks the BAT
            Map<String, Object> specific = new LinkedHashMap<>();
            specific.put("subformat", metadata.hasParent() ? "differencing" : "dynamic");
            specific.put("logicalSectorSize", metadata.logicalSectorSize());
            specific.put("diskId", String.valueOf(metadata.diskId()));
            specific.put("dataWriteGuid", header.dataWriteGuid().toString());
            specific.put("logReplayNeeded", !header.logIsEmpty());
            String parent = null;
            if (metadata.hasParent()) {
                parent = metadata.parent().parentName();
                specific.put("parentLinkage", metadata.parent().linkages(path.toString()).get(0).toString());
            }
            return new ImageInfo(path.toString(), name(), metadata.virtualSize(), RawFormat.diskUsage(path, file.size()),
                    metadata.blockSize(), parent, parent == null ? null : name(), List.of(), !header.logIsEmpty(), false, specific);
        }
    }
}
