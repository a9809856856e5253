package io.amiforge.imagefmt.ext;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.TreeMap;

/**
 * The 256-byte inode records of an ext2 filesystem being written, by inode number, and the
 * directory count per group. Times are clamped to {@code sourceDateEpoch} when it is set
 * (nanoseconds dropped for clamped times, ctime = mtime); otherwise ctime is the build time.
 */
final class InodeRecords {

    private final Ext2Layout layout;
    private final Long sourceDateEpoch;
    private final long now;
    private final Map<Long, byte[]> inodes = new TreeMap<>();
    private final long[] directories;

    InodeRecords(Ext2Layout layout, Long sourceDateEpoch, long now) {
        this.layout = layout;
        this.sourceDateEpoch = sourceDateEpoch;
        this.now = now;
        this.directories = new long[(int) layout.groups];
    }

    /** Records inode {@code ino}: {@code n}'s mode, owner and times with the given type, size, links, sectors and i_block. */
    void put(long ino, SourceTree.Node n, FileType type, long size, int links, long blocks512, int[] iblock) {
        if (links > 65000) {
            throw ExtErrors.usage("inode %d would have %d links, more than ext2's 65000".formatted(ino, links));
        }
        if (blocks512 > 0xFFFFFFFFL) {
            throw ExtErrors.usage("inode %d needs %d sectors, more than ext2 without huge_file records".formatted(ino, blocks512));
        }
        if (type == FileType.DIRECTORY) {
            directories[(int) layout.groupOf(ino)]++;
        }
        ByteBuffer b = ByteBuffer.allocate(Ext2Writer.INODE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        long mtime = clamp(n.mtime, sourceDateEpoch);
        int mnanos = nanos(n.mtime);
        long ctime = sourceDateEpoch != null ? mtime : now;
        b.putShort(0x00, (short) (type.modeBits() | (n.mode & 07777)));
        b.putShort(0x02, (short) n.uid);
        b.putInt(0x04, (int) size);
        b.putInt(0x08, (int) mtime);
        b.putInt(0x0C, (int) ctime);
        b.putInt(0x10, (int) mtime);
        b.putShort(0x18, (short) n.gid);
        b.putShort(0x1A, (short) links);
        b.putInt(0x1C, (int) blocks512);
        for (int i = 0; i < 15; i++) {
            b.putInt(0x28 + 4 * i, iblock[i]);
        }
        b.putInt(0x6C, (int) (size >>> 32));
        b.putShort(0x78, (short) (n.uid >>> 16));
        b.putShort(0x7A, (short) (n.gid >>> 16));
        b.putShort(0x80, (short) 32);
        b.putInt(0x84, extra(ctime, sourceDateEpoch != null ? mnanos : 0));
        b.putInt(0x88, extra(mtime, mnanos));
        b.putInt(0x8C, extra(mtime, mnanos));
        b.putInt(0x90, (int) mtime);
        b.putInt(0x94, extra(mtime, mnanos));
        inodes.put(ino, b.array());
    }

    /** Every record in inode-number order. */
    Map<Long, byte[]> records() {
        return inodes;
    }

    boolean contains(long ino) {
        return inodes.containsKey(ino);
    }

    /** Directories recorded in group {@code g}. */
    long directories(long g) {
        return directories[(int) g];
    }

    /** {@code t} in seconds, clamped to {@code sourceDateEpoch} when that is set. */
    static long clamp(FileTime t, Long sourceDateEpoch) {
        long s = t.toInstant().getEpochSecond();
        return sourceDateEpoch != null ? Math.min(s, sourceDateEpoch) : s;
    }

    private int nanos(FileTime t) {
        long s = t.toInstant().getEpochSecond();
        if (sourceDateEpoch != null && s >= sourceDateEpoch) {
            return 0;
        }
        return t.toInstant().getNano();
    }

    /** The extra-time field: epoch bits 32-33 and nanoseconds. */
    private static int extra(long seconds, int nanos) {
        return (int) (((seconds - (int) seconds) >> 32) & 3) | (nanos << 2);
    }
}
