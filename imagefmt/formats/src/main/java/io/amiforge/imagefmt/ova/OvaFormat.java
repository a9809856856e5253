package io.amiforge.imagefmt.ova;

import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.BackingChain;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageFormat;
import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.format.ImageInfo;
import io.amiforge.imagefmt.raw.RawFormat;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * OVA appliances: a tar archive whose first member is an OVF descriptor, followed by the disks
 * it references (stream-optimized VMDKs). Opening one as a device opens the descriptor's first
 * disk in place inside the archive (nothing is extracted); {@link OvaAppliance} opens any disk
 * and {@link #info} lists every disk with its capacity and archive member, and the OVF facts.
 * Writing makes an OVA of one stream-optimized disk, or of several with {@link #writeAppliance}.
 * An OVA is never opened for writing: convert it.
 */
public final class OvaFormat implements ImageFormat {

    /** For {@link java.util.ServiceLoader}. */
    public OvaFormat() {
    }

    @Override
    public String name() {
        return "ova";
    }

    @Override
    public boolean probe(MemorySegment header, long fileSize) {
        if (header.byteSize() < Tar.BLOCK) {
            return false;
        }
        ByteBuffer first = ByteBuffer.wrap(header.asSlice(0, Tar.BLOCK).toArray(ValueLayout.JAVA_BYTE));
        return Tar.isHeader(first) && Tar.name(first).toLowerCase(Locale.ROOT).endsWith(".ovf");
    }

    @Override
    public BlockDevice open(Path path, boolean readOnly, BackingChain chain) {
        if (!readOnly) {
            throw ImageFormatException.notWritable(path.toString(), "an OVA is an archive written once; open it read-only or convert it");
        }
        OvaAppliance appliance = OvaAppliance.read(path);
        if (appliance.disks().isEmpty()) {
            throw ImageFormatException.corrupt(path.toString(), "the OVF descriptor " + appliance.descriptor() + " lists no disk");
        }
        return appliance.open(appliance.disks().getFirst());
    }

    @Override
    public BlockDevice create(Path path, long virtualSize, CreateOptions options) {
        if (options.backingFile() != null) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue", path + ": an OVA cannot have a backing file");
        }
        if (virtualSize < 0 || virtualSize % 512 != 0) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue", path + ": size " + virtualSize
                    + " is not a multiple of 512");
        }
        return new OvaWriter(path, virtualSize);
    }

    @Override
    public ImageInfo info(Path path) {
        OvaAppliance appliance = OvaAppliance.read(path);
        List<Map<String, Object>> disks = new ArrayList<>();
        for (OvaAppliance.Disk disk : appliance.disks()) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("id", disk.id());
            d.put("file", disk.member());
            d.put("capacity", disk.capacity());
            d.put("format", disk.format());
            d.put("archiveOffset", disk.archiveOffset());
            disks.add(d);
        }
        Map<String, Object> specific = new LinkedHashMap<>();
        specific.put("ovf", appliance.descriptor());
        specific.put("name", appliance.name());
        specific.put("disks", disks);
        specific.put("operatingSystem", appliance.operatingSystem());
        specific.put("cpus", appliance.cpus());
        specific.put("memoryBytes", appliance.memoryBytes());
        long size = appliance.disks().isEmpty() ? 0 : appliance.disks().getFirst().capacity();
        long fileSize;
        try {
            fileSize = java.nio.file.Files.size(path);
        } catch (IOException e) {
            throw Tar.io(path, "cannot stat", e);
        }
        return new ImageInfo(path.toString(), name(), size, RawFormat.diskUsage(path, fileSize), 0, null, null, List.of(),
                false, false, specific);
    }

    /**
     * Writes an OVA at {@code target} whose disks are {@code disks}' contents, in order (the first
     * is the boot disk), each as a stream-optimized VMDK, under one virtual system named after
     * the target. Nothing is at the target until the archive is whole.
     */
    public static void writeAppliance(Path target, List<? extends BlockDevice> disks) {
        OvaWriter.writeAppliance(target, disks);
    }
}
