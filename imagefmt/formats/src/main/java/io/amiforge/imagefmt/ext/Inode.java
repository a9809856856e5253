package io.amiforge.imagefmt.ext;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;

/**
 * One on-disk inode as read: the fields the reader uses and the raw bytes (for {@code i_block}
 * and the in-inode extended attributes). Offsets are those of the kernel's {@code ext4_inode}.
 */
final class Inode {

    static final int FLAG_INDEX = 0x1000;
    static final int FLAG_HUGE_FILE = 0x40000;
    static final int FLAG_EXTENTS = 0x80000;
    static final int FLAG_INLINE_DATA = 0x10000000;
    static final int I_BLOCK = 0x28;
    static final int I_BLOCK_SIZE = 60;

    final long number;
    final byte[] raw;
    final int mode;
    final long uid;
    final long gid;
    final long size;
    final int links;
    final long blocks512;
    final int flags;
    final long fileAcl;
    final Instant mtime;

    Inode(long number, byte[] raw, boolean largeDir) {
        this.number = number;
        this.raw = raw;
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        mode = Short.toUnsignedInt(b.getShort(0x00));
        uid = Short.toUnsignedInt(b.getShort(0x02)) | ((long) Short.toUnsignedInt(b.getShort(0x78)) << 16);
        gid = Short.toUnsignedInt(b.getShort(0x18)) | ((long) Short.toUnsignedInt(b.getShort(0x7A)) << 16);
        // i_size_high holds size bits for regular files, and for directories only with largedir (it was i_dir_acl)
        long high = (FileType.ofMode(mode) == FileType.REGULAR || largeDir) ? Integer.toUnsignedLong(b.getInt(0x6C)) : 0;
        size = Integer.toUnsignedLong(b.getInt(0x04)) | (high << 32);
        links = Short.toUnsignedInt(b.getShort(0x1A));
        flags = b.getInt(0x20);
        long blocks = Integer.toUnsignedLong(b.getInt(0x1C)) | ((long) Short.toUnsignedInt(b.getShort(0x74)) << 32);
        blocks512 = blocks;
        fileAcl = Integer.toUnsignedLong(b.getInt(0x68)) | ((long) Short.toUnsignedInt(b.getShort(0x76)) << 32);
        long seconds = b.getInt(0x10);
        int nanos = 0;
        int extra = raw.length > 128 ? Short.toUnsignedInt(b.getShort(0x80)) : 0;
        if (extra >= 0x8C - 0x80 && 0x8C <= raw.length) {
            int mtimeExtra = b.getInt(0x88);
            seconds += (long) (mtimeExtra & 3) << 32;
            nanos = (mtimeExtra >>> 2) & 0x3FFFFFFF;
            if (nanos > 999_999_999) {
                nanos = 0;
            }
        }
        mtime = Instant.ofEpochSecond(seconds, nanos);
    }

    FileType type() {
        return FileType.ofMode(mode);
    }

    boolean has(int flag) {
        return (flags & flag) != 0;
    }

    int extraIsize() {
        return raw.length > 128 ? Short.toUnsignedInt((short) ((raw[0x80] & 0xFF) | (raw[0x81] & 0xFF) << 8)) : 0;
    }

    FileStat stat() {
        return new FileStat(number, type(), mode & 07777, size, uid, gid, mtime, links);
    }
}
