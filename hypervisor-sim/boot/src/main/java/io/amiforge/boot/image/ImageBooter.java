package io.amiforge.boot.image;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.boot.hvm.HvmBoot;
import io.amiforge.boot.pv.PvBootOptions;
import io.amiforge.boot.pv.PvGrub;
import io.amiforge.imagefmt.partition.PartitionTable;
import java.util.List;

/**
 * Boots a disk the way a cloud would for its virtualization type: {@link #hvm} runs the BIOS
 * and the master boot record on the x86 interpreter; {@link #pv} runs PV-GRUB over the disk's
 * partitions (imagefmt's partition tables) and ext filesystem (imagefmt's reader).
 */
public final class ImageBooter {

    private ImageBooter() {
    }

    /** HVM boot of {@code disk} with an instruction budget and guest memory (see {@link #hvm(BlockDevice, HvmBoot.Options)}). */
    public static BootReport hvm(BlockDevice disk, long maxInstructions, long memoryBytes) {
        return hvm(disk, HvmBoot.Options.defaults().withMaxInstructions(maxInstructions).withMemoryBytes(memoryBytes));
    }

    /**
     * HVM boot of {@code disk}. The BIOS reads the disk directly and synchronously (an INT 13h
     * read blocks the guest until it is done, so a queue in front would only add threads);
     * {@code disk} stays open.
     */
    public static BootReport hvm(BlockDevice disk, HvmBoot.Options options) {
        return HvmBoot.boot(disk, options);
    }

    /** PV boot of {@code disk} through PV-GRUB for an instance of {@code architecture} ({@code x86_64} or {@code i386}). */
    public static BootReport pv(BlockDevice disk, String architecture, long memoryMiB) {
        PvBootOptions options = new PvBootOptions(PvBootOptions.Architecture.of(architecture), memoryMiB,
                ImageBooter::partitions, ExtGuestFileSystem::open);
        return PvGrub.boot(disk, options);
    }

    /** The partitions of {@code disk} in table order; empty when it has no partition table. */
    public static List<BlockDevice> partitions(BlockDevice disk) {
        PartitionTable table = PartitionTable.read(disk);
        return table.partitions().stream().map(p -> PartitionTable.open(disk, p)).toList();
    }
}
