package io.amiforge.boot.hvm;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * syslinux-common's {@code mbr.bin} (the MBR code that chains to the active partition's boot
 * sector, handing it the partition entry in DS:SI) written into a disk's MBR code area (bytes
 * 0-439), keeping the disk signature and the partition table, with the 55 AA signature.
 */
final class SyslinuxMbr {

    /** syslinux-common's MBR code. */
    static final Path MBR_BIN = Path.of("/usr/lib/syslinux/mbr/mbr.bin");
    private static final int MBR_CODE = 440;

    private SyslinuxMbr() {
    }

    /** Fails with {@code BootLoaderToolMissing} when syslinux-common is not installed. */
    static byte[] read(String option) {
        if (!Files.isRegularFile(MBR_BIN)) {
            throw new AmiforgeException(AmiforgeException.Kind.FAILED, "BootLoaderToolMissing",
                    MBR_BIN + " not found: install the Debian package syslinux-common to build images with " + option);
        }
        try {
            return Files.readAllBytes(MBR_BIN);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code mbr} (mbr.bin's bytes) into sector 0 of {@code disk}. */
    static void write(BlockDevice disk, byte[] mbr) {
        byte[] sector0 = new byte[512];
        disk.read(0, MemorySegment.ofArray(sector0));
        System.arraycopy(mbr, 0, sector0, 0, Math.min(MBR_CODE, mbr.length));
        sector0[510] = 0x55;
        sector0[511] = (byte) 0xAA;
        disk.write(0, MemorySegment.ofArray(sector0));
    }
}
