package io.amiforge.imagefmt.ext;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * The fields of the ext2/3/4 superblock (1024 bytes at byte 1024) that reading needs, validated
 * against each other and the device size. Offsets are those of the kernel's {@code ext4_super_block}.
 */
public record Superblock(long inodesCount, long blocksCount, long firstDataBlock, int blockSize,
                         long blocksPerGroup, long inodesPerGroup, int revLevel, int inodeSize,
                         long firstInode, int featureCompat, int featureIncompat, int featureRoCompat,
                         UUID uuid, String volumeName, int descSize, long firstMetaBg, long groupCount) {

    public static final int OFFSET = 1024;
    public static final int SIZE = 1024;
    public static final int MAGIC = 0xEF53;

    public static final int COMPAT_HAS_JOURNAL = 0x4;
    public static final int INCOMPAT_COMPRESSION = 0x1;
    public static final int INCOMPAT_FILETYPE = 0x2;
    public static final int INCOMPAT_RECOVER = 0x4;
    public static final int INCOMPAT_JOURNAL_DEV = 0x8;
    public static final int INCOMPAT_META_BG = 0x10;
    public static final int INCOMPAT_EXTENTS = 0x40;
    public static final int INCOMPAT_64BIT = 0x80;
    public static final int INCOMPAT_FLEX_BG = 0x200;
    public static final int INCOMPAT_DIRDATA = 0x1000;
    public static final int INCOMPAT_LARGEDIR = 0x4000;
    public static final int INCOMPAT_INLINE_DATA = 0x8000;
    public static final int INCOMPAT_ENCRYPT = 0x10000;
    /** Incompatible features this reader understands (the rest refuse the filesystem). */
    static final int INCOMPAT_SUPPORTED = INCOMPAT_FILETYPE | INCOMPAT_RECOVER | INCOMPAT_META_BG | INCOMPAT_EXTENTS
            | INCOMPAT_64BIT | 0x100 /* MMP */ | INCOMPAT_FLEX_BG | 0x400 /* EA_INODE */ | 0x2000 /* CSUM_SEED */
            | 0x4000 /* LARGEDIR */ | INCOMPAT_INLINE_DATA | INCOMPAT_ENCRYPT | 0x20000 /* CASEFOLD */;
    public static final int RO_COMPAT_SPARSE_SUPER = 0x1;
    public static final int RO_COMPAT_LARGE_FILE = 0x2;
    public static final int RO_COMPAT_HUGE_FILE = 0x8;

    /** Parses and checks the 1024 superblock bytes of device {@code device} of {@code deviceSize} bytes. */
    static Superblock parse(String device, byte[] raw, long deviceSize) {
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        int magic = Short.toUnsignedInt(b.getShort(0x38));
        if (magic != MAGIC) {
            throw ExtErrors.corrupt(device, "no ext2/3/4 superblock: magic at byte 0x438 is 0x%04x (expected 0xef53)".formatted(magic));
        }
        long logBlock = Integer.toUnsignedLong(b.getInt(0x18));
        if (logBlock > 6) {
            throw field(device, "s_log_block_size", 0x18, logBlock, "0 to 6 (1 KiB to 64 KiB blocks)");
        }
        int blockSize = 1024 << logBlock;
        int incompat = b.getInt(0x60);
        int unsupported = incompat & ~INCOMPAT_SUPPORTED;
        if (unsupported != 0) {
            throw ExtErrors.corrupt(device, "unsupported incompatible features 0x%x (s_feature_incompat 0x%x at byte 0x460)"
                    .formatted(unsupported, incompat));
        }
        boolean is64 = (incompat & INCOMPAT_64BIT) != 0;
        long blocks = Integer.toUnsignedLong(b.getInt(0x04));
        if (is64) {
            blocks |= Integer.toUnsignedLong(b.getInt(0x150)) << 32;
        }
        long firstData = Integer.toUnsignedLong(b.getInt(0x14));
        if (firstData != (blockSize == 1024 ? 1 : 0)) {
            throw field(device, "s_first_data_block", 0x14, firstData, blockSize == 1024 ? "1 for 1 KiB blocks" : "0");
        }
        if (blocks <= firstData || blocks > (1L << 48) || blocks > Long.MAX_VALUE / blockSize) {
            throw field(device, "s_blocks_count", 0x04, blocks, "more than s_first_data_block and at most 2^48");
        }
        long bpg = Integer.toUnsignedLong(b.getInt(0x20));
        if (bpg < 8 || bpg > 8L * blockSize) {
            throw field(device, "s_blocks_per_group", 0x20, bpg, "8 to " + 8L * blockSize);
        }
        long ipg = Integer.toUnsignedLong(b.getInt(0x28));
        if (ipg < 1 || ipg > 8L * blockSize) {
            throw field(device, "s_inodes_per_group", 0x28, ipg, "1 to " + 8L * blockSize);
        }
        long groups = (blocks - firstData + bpg - 1) / bpg;
        long inodes = Integer.toUnsignedLong(b.getInt(0x00));
        if (inodes < 11 || inodes > groups * ipg) {
            throw field(device, "s_inodes_count", 0x00, inodes, "11 to s_inodes_per_group * groups = " + groups * ipg);
        }
        int rev = b.getInt(0x4C);
        int inodeSize = 128;
        long firstIno = 11;
        if (rev != 0) {
            inodeSize = Short.toUnsignedInt(b.getShort(0x58));
            if (inodeSize < 128 || inodeSize > blockSize || Integer.bitCount(inodeSize) != 1) {
                throw field(device, "s_inode_size", 0x58, inodeSize, "a power of two from 128 to the block size " + blockSize);
            }
            firstIno = Integer.toUnsignedLong(b.getInt(0x54));
            if (firstIno < 3 || firstIno > inodes) {
                throw field(device, "s_first_ino", 0x54, firstIno, "3 to s_inodes_count");
            }
        }
        int descSize = 32;
        if (is64) {
            descSize = Short.toUnsignedInt(b.getShort(0xFE));
            if (descSize < 64 || descSize > 1024 || Integer.bitCount(descSize) != 1 || descSize > blockSize) {
                throw field(device, "s_desc_size", 0xFE, descSize, "a power of two from 64 to 1024");
            }
        }
        // the group descriptor table must fit in the device: bounds everything sized by the group count
        long descBytes = Math.multiplyExact(groups, (long) descSize);
        if (descBytes > deviceSize) {
            throw ExtErrors.corrupt(device, "%d block groups need %d bytes of group descriptors, more than the device's %d bytes"
                    .formatted(groups, descBytes, deviceSize));
        }
        long msb = b.order(ByteOrder.BIG_ENDIAN).getLong(0x68);
        long lsb = b.getLong(0x70);
        b.order(ByteOrder.LITTLE_ENDIAN);
        int nameLen = 0;
        while (nameLen < 16 && raw[0x78 + nameLen] != 0) {
            nameLen++;
        }
        String name = new String(raw, 0x78, nameLen, StandardCharsets.UTF_8);
        return new Superblock(inodes, blocks, firstData, blockSize, bpg, ipg, rev, inodeSize, firstIno,
                b.getInt(0x5C), incompat, b.getInt(0x64), new UUID(msb, lsb), name, descSize,
                Integer.toUnsignedLong(b.getInt(0x104)), groups);
    }

    private static RuntimeException field(String device, String field, int offset, long value, String expected) {
        return ExtErrors.corrupt(device, "superblock field %s (byte 0x%x) is %d, expected %s"
                .formatted(field, OFFSET + offset, value, expected));
    }

    public boolean hasIncompat(int bit) {
        return (featureIncompat & bit) != 0;
    }

    /** "ext4" when any ext4-only feature is on, "ext3" with a journal, else "ext2". */
    public String kind() {
        if ((featureIncompat & (INCOMPAT_EXTENTS | INCOMPAT_64BIT | INCOMPAT_FLEX_BG | INCOMPAT_INLINE_DATA)) != 0
                || (featureRoCompat & (RO_COMPAT_HUGE_FILE | 0x400 | 0x40 | 0x10)) != 0) {
            return "ext4";
        }
        return (featureCompat & COMPAT_HAS_JOURNAL) != 0 ? "ext3" : "ext2";
    }

    /** Whether group {@code g} carries a superblock backup (sparse_super: 0, 1, powers of 3, 5, 7). */
    public boolean hasSuperblockBackup(long g) {
        if ((featureRoCompat & RO_COMPAT_SPARSE_SUPER) == 0 || g <= 1) {
            return true;
        }
        return isPower(g, 3) || isPower(g, 5) || isPower(g, 7);
    }

    private static boolean isPower(long g, int base) {
        long p = base;
        while (p < g) {
            p *= base;
        }
        return p == g;
    }

    /** Inode table blocks per group. */
    public long inodeTableBlocks() {
        return (inodesPerGroup * inodeSize + blockSize - 1) / blockSize;
    }
}
