package io.amiforge.imagefmt.build;

import io.amiforge.blockdev.BlockDevice;
import java.util.Map;

/**
 * Writes HVM boot code into a disk the image builder has laid out: the MBR's code area
 * (bytes 0 to 439 of LBA 0; the disk signature and partition table after them are left
 * untouched) and {@link #loaderSectors()} loader sectors starting at {@code loaderLba}, which
 * the builder keeps free (LBA 1 for MBR disks, after the GPT entry array for GPT disks, always
 * before the first partition). The loader finds the kernel through {@link BootPayload}'s
 * sector extents, as LILO's map does, so it needs no filesystem driver.
 */
public interface BootCodeInstaller {

    /** How many sectors the loader needs at {@code loaderLba}. */
    int loaderSectors();

    /**
     * Files the loader reads from the root filesystem (absolute path to content, e.g. GRUB's
     * {@code /boot/grub/grub.cfg}), for the kernel at {@link ImageBuilder#KERNEL_PATH} with
     * {@code cmdline} and, when {@code initrd}, the initrd at {@link ImageBuilder#INITRD_PATH};
     * the builder writes them with the kernel, each with every block allocated in one run (a
     * loader may read them by sector, as EXTLINUX reads ldlinux.sys). None by default (a loader
     * reading a sector map).
     */
    default Map<String, byte[]> rootFiles(String cmdline, boolean initrd) {
        return Map.of();
    }

    /**
     * Sectors of a boot partition the loader keeps its own filesystem in (SYSLINUX's FAT), for a
     * kernel and initrd of these sizes; 0 (the default) for none. With a boot partition the
     * builder makes it partition 1 (active, at LBA 2048, MBR only) and the root partition 2;
     * {@link #install} fills it.
     */
    default long bootPartitionSectors(long kernelSize, long initrdSize) {
        return 0;
    }

    /** Writes the MBR code and the loader for {@code payload}. */
    void install(BlockDevice disk, long loaderLba, BootPayload payload);
}
