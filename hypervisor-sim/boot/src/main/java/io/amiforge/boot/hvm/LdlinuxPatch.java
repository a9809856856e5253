package io.amiforge.boot.hvm;

import io.amiforge.blockdev.AmiforgeException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * What SYSLINUX's installers write into {@code ldlinux.sys} and the boot sector once they
 * know where the file's sectors are, worked out from the layout that syslinux 6's
 * {@code libinstaller} documents (its patch area and extended patch area) and done here for
 * EXTLINUX on ext2/3/4 without a mounted filesystem.
 *
 * <p>ldlinux.sys is the core image (a whole number of sectors) followed by two ADV sectors.
 * Near its start, at a dword-aligned offset, is the patch area: {@code LDLINUX_MAGIC}
 * (0x3EB202FE), an instance word, the data and ADV sector counts, the number of dwords the
 * checksum covers, the checksum, the maximum transfer and the offset of the extended patch
 * area, whose words give the offsets of the ADV pointers (two 64-bit LBAs), the current
 * directory field, the subvolume field, the sector extent list (64-bit LBA + 16-bit length,
 * so many entries) and, in the boot sector, the two halves of the LBA of the file's first
 * sector. Sector numbers are relative to the filesystem; the boot sector adds the partition
 * offset (from the MBR's partition entry, else its hidden-sectors field).
 *
 * <p>Patching: the first sector's LBA goes into the boot sector; the other data sectors
 * become extents (a run of consecutive sectors, at most 127 of them and never crossing a
 * 64 KiB boundary of the load address, which starts at 0x8000 for the second sector); the
 * last two sectors are the ADV pointers; the directory is stored NUL-terminated; the checksum
 * makes the dwords of the core image sum to {@code LDLINUX_MAGIC}. The boot sector is the
 * SYSLINUX code of a FAT install with the FAT BPB replaced by the one EXTLINUX writes for
 * other filesystems: all zero but 512-byte sectors, the geometry, the hidden sectors (the
 * partition's first LBA) and the total sectors.
 */
public final class LdlinuxPatch {

    /** ldlinux.sys's two ADV sectors (at its end). */
    public static final int ADV_BYTES = 1024;
    static final int MAGIC = 0x3EB202FE;
    static final int ADV_MAGIC = 0x5A2D2FA5;
    /** Where SYSLINUX's own code starts in its boot sector: everything from 11 to here is the BPB. */
    static final int BPB_START = 11, BPB_END = 90;
    /** The geometry EXTLINUX falls back to; the boot code asks INT 13h AH=08h on hard disks anyway. */
    static final int HEADS = 255, SECTORS_PER_TRACK = 63;
    private static final int SECTOR = 512, EXTENT = 10, MAX_EXTENT_SECTORS = 127;

    private LdlinuxPatch() {
    }

    /** The offsets the patch area gives; validated against the file's length. */
    record Layout(int patchArea, int imageLength, int advPointers, int dirField, int dirLength, int extents, int extentCount,
                  int sect1Low, int sect1High) {

        /** Sectors of the whole file, ADV included. */
        int sectors() {
            return imageLength / SECTOR + 2;
        }
    }

    /** ldlinux.sys and the boot sector after patching. */
    public record Patched(byte[] ldlinuxSys, byte[] bootSector) {
    }

    /** Finds and checks the patch areas of {@code sys} (a whole ldlinux.sys). */
    static Layout layout(byte[] sys) {
        int image = sys.length - ADV_BYTES;
        if (image < SECTOR || image % SECTOR != 0) {
            throw invalid("ldlinux.sys is " + sys.length + " bytes: expected a whole number of sectors plus the 1024-byte ADV");
        }
        ByteBuffer b = le(sys);
        if (b.getInt(image) != ADV_MAGIC || b.getInt(image + SECTOR) != ADV_MAGIC) {
            throw invalid("ldlinux.sys does not end in two ADV sectors (magic 0x5A2D2FA5 at offsets " + image + " and " + (image + SECTOR) + ")");
        }
        int at = -1;
        for (int i = 0; i + 24 <= Math.min(image, 4 * SECTOR); i += 4) {
            if (b.getInt(i) == MAGIC) {
                at = i;
                break;
            }
        }
        if (at < 0) {
            throw invalid("no LDLINUX_MAGIC patch area in the first 2 KiB of ldlinux.sys");
        }
        int epa = Short.toUnsignedInt(b.getShort(at + 22));
        if (epa + 20 > image) {
            throw invalid("ldlinux.sys's extended patch area offset " + epa + " is beyond its " + image + "-byte image");
        }
        Layout l = new Layout(at, image, u16(b, epa), u16(b, epa + 2), u16(b, epa + 4), u16(b, epa + 10), u16(b, epa + 12),
                u16(b, epa + 14), u16(b, epa + 16));
        if (l.advPointers() + 16 > image || l.dirField() + l.dirLength() > image || l.dirLength() == 0
                || l.extents() + (long) l.extentCount() * EXTENT > image || l.sect1Low() + 4 > SECTOR || l.sect1High() + 4 > SECTOR
                || l.sect1Low() < BPB_END || l.sect1High() < BPB_END) {
            throw invalid("ldlinux.sys's extended patch area points outside the file or the boot sector's code: " + l);
        }
        return l;
    }

    /**
     * Patches copies of {@code core}'s ldlinux.sys and boot sector for a file whose sectors,
     * relative to the filesystem's first sector, are {@code sectors} (in file order, one per
     * 512 bytes of ldlinux.sys), installed in directory {@code dir} of a filesystem of
     * {@code fsSectors} sectors starting at LBA {@code hidden} of the disk.
     */
    public static Patched patch(SyslinuxCore core, long[] sectors, String dir, long hidden, long fsSectors) {
        byte[] sys = core.ldlinuxSys().clone();
        Layout l = layout(sys);
        int n = l.sectors();
        if (sectors.length != n) {
            throw invalid("ldlinux.sys has " + n + " sectors but " + sectors.length + " sector numbers were given");
        }
        for (int i = 0; i < n; i++) {
            if (sectors[i] <= 0 || sectors[i] >= fsSectors) {
                throw invalid("ldlinux.sys sector " + i + " at filesystem sector " + sectors[i] + " is outside the filesystem (" + fsSectors
                        + " sectors)");
            }
        }
        ByteBuffer b = le(sys);
        b.putShort(l.patchArea() + 8, (short) (n - 2));
        b.putShort(l.patchArea() + 10, (short) 2);
        b.putInt(l.patchArea() + 12, l.imageLength() / 4);
        Arrays.fill(sys, l.extents(), l.extents() + l.extentCount() * EXTENT, (byte) 0);
        int used = putExtents(b, l, Arrays.copyOfRange(sectors, 1, n - 2));
        if (used > l.extentCount()) {
            throw invalid("ldlinux.sys's sectors form " + used + " extents; its extent list holds " + l.extentCount());
        }
        b.putLong(l.advPointers(), sectors[n - 2]);
        b.putLong(l.advPointers() + 8, sectors[n - 1]);
        byte[] name = dir.getBytes(StandardCharsets.UTF_8);
        if (name.length + 1 > l.dirLength() || dir.indexOf('\0') >= 0) {
            throw invalid("install directory '" + dir + "' does not fit ldlinux.sys's " + l.dirLength() + "-byte directory field");
        }
        Arrays.fill(sys, l.dirField(), l.dirField() + l.dirLength(), (byte) 0);
        System.arraycopy(name, 0, sys, l.dirField(), name.length);
        b.putInt(l.patchArea() + 16, 0);
        int sum = 0;
        for (int i = 0; i < l.imageLength(); i += 4) {
            sum += b.getInt(i);
        }
        b.putInt(l.patchArea() + 16, MAGIC - sum);
        return new Patched(sys, bootSector(core.bootSector(), l, sectors[0], hidden, fsSectors));
    }

    /** Writes the extents for {@code data} (the sectors after the first) and returns how many there are. */
    private static int putExtents(ByteBuffer b, Layout l, long[] data) {
        int count = 0;
        long address = 0x8000, base = address, lba = 0;
        int len = 0;
        for (long sector : data) {
            boolean joins = len > 0 && sector == lba + len && len + 1 <= MAX_EXTENT_SECTORS
                    && ((address ^ (base + (len + 1L) * SECTOR - 1)) & 0xFFFF0000L) == 0;
            if (joins) {
                len++;
            } else {
                count = putExtent(b, l, count, lba, len);
                base = address;
                lba = sector;
                len = 1;
            }
            address += SECTOR;
        }
        return putExtent(b, l, count, lba, len);
    }

    private static int putExtent(ByteBuffer b, Layout l, int index, long lba, int len) {
        if (len == 0) {
            return index;
        }
        if (index < l.extentCount()) {
            b.putLong(l.extents() + index * EXTENT, lba);
            b.putShort(l.extents() + index * EXTENT + 8, (short) len);
        }
        return index + 1;
    }

    private static byte[] bootSector(byte[] fatVbr, Layout l, long first, long hidden, long fsSectors) {
        if (hidden > 0xFFFFFFFFL || fsSectors > 0xFFFFFFFFL) {
            throw invalid("the filesystem at LBA " + hidden + " (" + fsSectors + " sectors) is beyond the boot sector's 32-bit fields");
        }
        byte[] bs = fatVbr.clone();
        Arrays.fill(bs, BPB_START, BPB_END, (byte) 0);
        ByteBuffer b = le(bs);
        b.putShort(11, (short) SECTOR);
        b.putShort(19, (short) (fsSectors < 65536 ? fsSectors : 0));
        b.putShort(24, (short) SECTORS_PER_TRACK);
        b.putShort(26, (short) HEADS);
        b.putInt(28, (int) hidden);
        b.putInt(32, (int) fsSectors);
        b.putInt(l.sect1Low(), (int) first);
        b.putInt(l.sect1High(), (int) (first >>> 32));
        b.putShort(510, (short) 0xAA55);
        return bs;
    }

    private static int u16(ByteBuffer b, int at) {
        return Short.toUnsignedInt(b.getShort(at));
    }

    private static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static AmiforgeException invalid(String what) {
        return new AmiforgeException(AmiforgeException.Kind.FAILED, "BootLoaderInstallFailed", what);
    }
}
