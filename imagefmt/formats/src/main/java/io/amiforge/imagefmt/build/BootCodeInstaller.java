package io.amiforge.imagefmt.build;

import io.amiforge.blockdev.BlockDevice;

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

    /** Writes the MBR code and the loader for {@code payload}. */
    void install(BlockDevice disk, long loaderLba, BootPayload payload);
}
