package io.amiforge.imagefmt.ova;

import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.BackingChain;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageFormat;
import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.format.ImageInfo;
import io.amiforge.imagefmt.raw.RawFormat;
import io.amiforge.imagefmt.vmdk.VmdkFormat;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * OVA appliances: a tar archive whose first member is an OVF descriptor, followed by the disks
 * it references (stream-optimized VMDKs). Reading opens the descriptor's first disk in place
 * inside the archive (nothing is extracted); {@link #info} lists every disk with its capacity
 * and archive member. Writing makes an OVA of one stream-optimized disk ({@link OvaWriter}).
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
        Contents contents = contents(path);
        if (contents.disks.isEmpty()) {
            throw ImageFormatException.corrupt(path.toString(), "the OVF descriptor " + contents.ovf + " lists no disk");
        }
        OvfDescriptor.Disk disk = contents.disks.getFirst();
        Tar.Member member = contents.member(disk.file());
        BlockDevice device = VmdkFormat.openMember(path, member.offset(), member.size(), disk.file());
        if (device.size() != disk.capacity()) {
            String problem = "disk '%s' (%s) holds %d bytes but the OVF descriptor says %d".formatted(disk.id(), disk.file(),
                    device.size(), disk.capacity());
            device.close();
            throw ImageFormatException.corrupt(path.toString(), problem);
        }
        return device;
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
        Contents contents = contents(path);
        List<Map<String, Object>> disks = new ArrayList<>();
        for (OvfDescriptor.Disk disk : contents.disks) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("id", disk.id());
            d.put("file", disk.file());
            d.put("capacity", disk.capacity());
            d.put("format", disk.format());
            d.put("archiveOffset", contents.member(disk.file()).offset());
            disks.add(d);
        }
        Map<String, Object> specific = new LinkedHashMap<>();
        specific.put("ovf", contents.ovf);
        specific.put("disks", disks);
        specific.put("operatingSystem", contents.operatingSystem);
        long size = contents.disks.isEmpty() ? 0 : contents.disks.getFirst().capacity();
        long fileSize;
        try {
            fileSize = java.nio.file.Files.size(path);
        } catch (IOException e) {
            throw Tar.io(path, "cannot stat", e);
        }
        return new ImageInfo(path.toString(), name(), size, RawFormat.diskUsage(path, fileSize), 0, null, null, List.of(),
                false, false, specific);
    }

    /** The archive's members and its descriptor's disks. */
    private record Contents(Path path, String ovf, List<Tar.Member> members, List<OvfDescriptor.Disk> disks, String operatingSystem) {

        Tar.Member member(String name) {
            return members.stream().filter(m -> m.name().equals(name)).findFirst().orElseThrow(() ->
                    ImageFormatException.corrupt(path.toString(), "the OVF descriptor references '" + name
                            + "', which is not in the archive"));
        }
    }

    private static Contents contents(Path path) {
        try (FileChannel channel = FileChannel.open(path)) {
            List<Tar.Member> members = Tar.members(channel, path.toString());
            if (members.isEmpty() || !members.getFirst().name().toLowerCase(Locale.ROOT).endsWith(".ovf")) {
                throw ImageFormatException.corrupt(path.toString(), "the first member of an OVA must be its .ovf descriptor");
            }
            Tar.Member ovf = members.getFirst();
            if (ovf.size() > 4 << 20) {
                throw ImageFormatException.corrupt(path.toString(), "OVF descriptor " + ovf.name() + " is " + ovf.size() + " bytes, more than 4 MiB");
            }
            ByteBuffer text = ByteBuffer.allocate((int) ovf.size());
            while (text.hasRemaining() && channel.read(text, ovf.offset() + text.position()) > 0) {
                // read it whole
            }
            String name = path + "(" + ovf.name() + ")";
            return new Contents(path, ovf.name(), members, OvfDescriptor.disks(text.array(), name),
                    OvfDescriptor.operatingSystem(text.array(), name));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ImageFormatException(Kind.NOT_FOUND, "FileNotFound", path + ": no such file");
        } catch (IOException e) {
            throw Tar.io(path, "cannot read", e);
        }
    }
}
