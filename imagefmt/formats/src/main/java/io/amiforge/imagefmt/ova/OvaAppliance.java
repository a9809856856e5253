package io.amiforge.imagefmt.ova;

import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.vmdk.VmdkFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An OVA as an appliance: the facts its OVF descriptor gives (virtual system name, guest OS,
 * CPUs, memory) and every disk, each found in the archive and opened in place. Reading checks
 * what can be checked without reading the disks (the descriptor first, each referenced member
 * present, no id twice); {@link #open} checks a disk's size against its capacity.
 *
 * @param file the archive
 * @param descriptor the descriptor's member name
 * @param name the virtual system's name, or null
 * @param operatingSystem the guest OS the descriptor names (description, osType, CIM id), or null
 * @param cpus virtual CPUs, or null when not given
 * @param memoryBytes memory in bytes, or null when not given
 * @param disks the disks in descriptor order (the first is the one {@link OvaFormat} opens)
 */
public record OvaAppliance(Path file, String descriptor, String name, String operatingSystem, Integer cpus, Long memoryBytes,
                           List<Disk> disks) {

    /**
     * One disk of the appliance.
     *
     * @param number its place in the descriptor, from 1
     * @param id its ovf:diskId
     * @param member the archive member holding it
     * @param capacity its guest size in bytes, as the descriptor says
     * @param format the ovf:format URI
     * @param archiveOffset where the member's data starts in the archive
     * @param archiveSize the member's size
     */
    public record Disk(int number, String id, String member, long capacity, String format, long archiveOffset, long archiveSize) {
    }

    /** Largest descriptor read. */
    private static final int MAX_DESCRIPTOR = 4 << 20;

    /** Copies the disk list. */
    public OvaAppliance {
        disks = List.copyOf(disks);
    }

    /** Reads the appliance in {@code ova}, naming the file (and member) in every error. */
    public static OvaAppliance read(Path ova) {
        try (FileChannel channel = FileChannel.open(ova)) {
            List<Tar.Member> members = Tar.members(channel, ova.toString());
            if (members.isEmpty() || !members.getFirst().name().toLowerCase(Locale.ROOT).endsWith(".ovf")) {
                throw ImageFormatException.corrupt(ova.toString(), "the first member of an OVA must be its .ovf descriptor");
            }
            Tar.Member ovf = members.getFirst();
            if (ovf.size() > MAX_DESCRIPTOR) {
                throw ImageFormatException.corrupt(ova.toString(), "OVF descriptor " + ovf.name() + " is " + ovf.size()
                        + " bytes, more than 4 MiB");
            }
            ByteBuffer text = ByteBuffer.allocate((int) ovf.size());
            while (text.hasRemaining() && channel.read(text, ovf.offset() + text.position()) > 0) {
                // read it whole
            }
            OvfDescriptor.Facts facts = OvfDescriptor.read(text.array(), ova + "(" + ovf.name() + ")");
            List<Disk> disks = new ArrayList<>();
            for (OvfDescriptor.Disk disk : facts.disks()) {
                Tar.Member member = members.stream().filter(m -> m.name().equals(disk.file())).findFirst().orElseThrow(() ->
                        ImageFormatException.corrupt(ova.toString(), "the OVF descriptor %s references '%s' (disk '%s'), which is not in the archive"
                                .formatted(ovf.name(), disk.file(), disk.id())));
                disks.add(new Disk(disks.size() + 1, disk.id(), disk.file(), disk.capacity(), disk.format(), member.offset(), member.size()));
            }
            return new OvaAppliance(ova, ovf.name(), facts.name(), facts.operatingSystem(), facts.cpus(), facts.memoryBytes(), disks);
        } catch (NoSuchFileException e) {
            throw new ImageFormatException(Kind.NOT_FOUND, "FileNotFound", ova + ": no such file");
        } catch (IOException e) {
            throw Tar.io(ova, "cannot read", e);
        }
    }

    /** Disk {@code number} (from 1), or a usage error listing the disks there are. */
    public Disk disk(int number) {
        if (number < 1 || number > disks.size()) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue", "%s has %d disk%s, no disk %d: %s"
                    .formatted(file, disks.size(), disks.size() == 1 ? "" : "s", number, listing()));
        }
        return disks.get(number - 1);
    }

    /** The disks as "1: id (member, N bytes)", for messages. */
    public String listing() {
        return String.join("; ", disks.stream().map(d -> "%d: %s (%s, %d bytes)".formatted(d.number(), d.id(), d.member(), d.capacity()))
                .toList());
    }

    /**
     * {@code disk} opened read-only in place inside the archive (a sparse or stream-optimized
     * VMDK), after checking that its size is the descriptor's capacity; closing it closes the archive.
     */
    public BlockDevice open(Disk disk) {
        BlockDevice device = VmdkFormat.openMember(file, disk.archiveOffset(), disk.archiveSize(), disk.member());
        if (device.size() != disk.capacity()) {
            String problem = "disk '%s' (member %s) holds %d bytes but the OVF descriptor %s says %d".formatted(disk.id(), disk.member(),
                    device.size(), descriptor, disk.capacity());
            device.close();
            throw ImageFormatException.corrupt(file.toString(), problem);
        }
        return device;
    }

    /**
     * The OVF facts in one line, for an image's description: descriptor, system name, guest OS,
     * CPUs, memory and each disk's id and capacity.
     */
    public String summary() {
        StringBuilder text = new StringBuilder("OVF " + descriptor);
        if (name != null) {
            text.append(" '").append(name).append('\'');
        }
        text.append(": guest OS ").append(operatingSystem == null ? "not given" : operatingSystem);
        if (cpus != null) {
            text.append(", ").append(cpus).append(cpus == 1 ? " CPU" : " CPUs");
        }
        if (memoryBytes != null) {
            text.append(", ").append(memoryBytes >> 20).append(" MiB memory");
        }
        text.append(", ").append(disks.size()).append(disks.size() == 1 ? " disk" : " disks").append(" (");
        text.append(String.join(", ", disks.stream().map(d -> d.id() + " " + d.capacity() + " bytes").toList())).append(')');
        return text.toString();
    }
}
