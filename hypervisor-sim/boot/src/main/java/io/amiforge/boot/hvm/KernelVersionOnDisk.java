package io.amiforge.boot.hvm;

import io.amiforge.x86.bios.DiskDrive;
import io.amiforge.x86.bios.DiskRead;
import java.util.List;

/**
 * Finds a Linux kernel's version string on the disk when a loader entered the kernel through
 * the 32-bit boot protocol, which never loads the real-mode setup code that holds the string:
 * among the sectors the guest read, the first one that starts a bzImage whose setup header
 * matches the boot_params (setup sectors, syssize and protocol version) is taken as the kernel
 * file's first sector, and the string is read at its {@code kernel_version} offset, assuming the
 * file's first sectors are contiguous on the disk (as ext2/ext4 lay out a small run). A string
 * that is not printable ASCII is not a version: then there is no answer.
 */
final class KernelVersionOnDisk {

    /** Most sectors looked at (the reads' sectors, in order). */
    static final int MAX_SECTORS = 16_384;

    private KernelVersionOnDisk() {
    }

    /**
     * The version string, or null.
     *
     * @param setupSectors the boot_params' setup_sects
     * @param syssize      the boot_params' syssize (protected-mode size in 16-byte units)
     * @param protocol     the boot_params' boot-protocol version
     */
    static String find(DiskDrive drive, List<DiskRead> reads, int setupSectors, int syssize, int protocol) {
        byte[] s = new byte[1024], sector = new byte[512];
        int looked = 0;
        for (DiskRead r : reads) {
            for (int i = 0; i < r.sectors() && looked < MAX_SECTORS; i++, looked++) {
                long lba = r.lba() + i;
                // the boot sector holds the header's start (0x1F1); "HdrS" and the rest are in the next one
                if (!drive.read(lba, sector) || sector[510] != 0x55 || sector[511] != (byte) 0xAA) {
                    continue;
                }
                System.arraycopy(sector, 0, s, 0, 512);
                if (!drive.read(lba + 1, sector)) {
                    continue;
                }
                System.arraycopy(sector, 0, s, 512, 512);
                if (!matches(s, setupSectors, syssize, protocol)) {
                    continue;
                }
                int at = 0x200 + u16(s, 0x20E);
                return versionAt(drive, lba + at / 512, at % 512);
            }
        }
        return null;
    }

    private static boolean matches(byte[] s, int setupSectors, int syssize, int protocol) {
        return s[0x202] == 'H' && s[0x203] == 'd' && s[0x204] == 'r' && s[0x205] == 'S' && (s[0x1F1] & 0xFF) == setupSectors
                && (u16(s, 0x1F4) | u16(s, 0x1F6) << 16) == syssize && u16(s, 0x206) == protocol && u16(s, 0x20E) != 0;
    }

    private static String versionAt(DiskDrive drive, long lba, int offset) {
        byte[] two = new byte[1024];
        byte[] one = new byte[512];
        if (!drive.read(lba, one)) {
            return null;
        }
        System.arraycopy(one, 0, two, 0, 512);
        if (drive.read(lba + 1, one)) {
            System.arraycopy(one, 0, two, 512, 512);
        }
        StringBuilder b = new StringBuilder();
        for (int i = offset; i < two.length && two[i] != 0; i++) {
            int c = two[i] & 0xFF;
            if (c < 0x20 || c > 0x7E) {
                return null;
            }
            b.append((char) c);
        }
        return b.length() >= 3 && Character.isDigit(b.charAt(0)) || b.toString().startsWith("amiforge") ? b.toString() : null;
    }

    private static int u16(byte[] s, int at) {
        return (s[at] & 0xFF) | (s[at + 1] & 0xFF) << 8;
    }
}
