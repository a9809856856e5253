package io.amiforge.imagefmt.ext;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The classic ext2/ext3 block map: 12 direct pointers in {@code i_block}, then a single, a
 * double and a triple indirect block. A zero pointer at any level is a hole. The last indirect
 * block read at each level is cached, so a sequential read touches each indirect block once.
 */
final class IndirectMap implements BlockMap {

    private static final int DIRECT = 12;

    private final ExtFileSystem fs;
    private final Inode inode;
    private final int per;
    private final long[] cachedNumber = {-1, -1, -1, -1};
    private final ByteBuffer[] cached = new ByteBuffer[4];

    IndirectMap(ExtFileSystem fs, Inode inode) {
        this.fs = fs;
        this.inode = inode;
        this.per = fs.superblock().blockSize() / 4;
    }

    private long iblock(int i) {
        return ByteBuffer.wrap(inode.raw).order(ByteOrder.LITTLE_ENDIAN).getInt(Inode.I_BLOCK + 4 * i) & 0xFFFFFFFFL;
    }

    @Override
    public Run map(long logical, long limit) {
        if (logical < DIRECT) {
            long p = iblock((int) logical);
            long n = 1;
            while (logical + n < DIRECT && logical + n < limit && next(p, iblock((int) (logical + n)), n)) {
                n++;
            }
            return run(logical, p, n, "i_block[" + logical + "]");
        }
        long l = logical - DIRECT;
        long span = per;
        long root;
        int levels;
        if (l < span) {
            root = iblock(12);
            levels = 1;
        } else {
            l -= span;
            span = (long) per * per;
            if (l < span) {
                root = iblock(13);
                levels = 2;
            } else {
                l -= span;
                span = (long) per * per * per;
                if (l >= span) {
                    return new Run(logical, 0, Math.max(1, limit - logical));
                }
                root = iblock(14);
                levels = 3;
            }
        }
        long ptr = root;
        long covered = span;
        for (int level = levels; level >= 1; level--) {
            long within = covered / per; // logical blocks each entry of this level covers
            if (ptr == 0) {
                long rest = covered - (l % covered);
                return new Run(logical, 0, Math.min(rest, Math.max(1, limit - logical)));
            }
            checkPointer(ptr, logical, "indirect block (level " + level + ")");
            ByteBuffer b = indirect(level, ptr);
            int index = (int) ((l / within) % per);
            if (level == 1) {
                long p = Integer.toUnsignedLong(b.getInt(4 * index));
                long n = 1;
                while (index + n < per && logical + n < limit && next(p, Integer.toUnsignedLong(b.getInt((int) (4 * (index + n)))), n)) {
                    n++;
                }
                return run(logical, p, n, "indirect block " + ptr + " entry " + index);
            }
            ptr = Integer.toUnsignedLong(b.getInt(4 * index));
            covered = within;
        }
        throw new AssertionError("unreachable");
    }

    private static boolean next(long first, long candidate, long n) {
        return first == 0 ? candidate == 0 : candidate == first + n;
    }

    private Run run(long logical, long physical, long n, String where) {
        if (physical != 0) {
            checkPointer(physical, logical, where);
            checkPointer(physical + n - 1, logical + n - 1, where);
        }
        return new Run(logical, physical, n);
    }

    private void checkPointer(long block, long logical, String where) {
        if (block <= fs.superblock().firstDataBlock() || block >= fs.superblock().blocksCount()) {
            throw ExtErrors.corrupt(fs.name(), "inode %d: %s (logical block %d) points to block %d, outside the filesystem (%d blocks)"
                    .formatted(inode.number, where, logical, block, fs.superblock().blocksCount()));
        }
    }

    private ByteBuffer indirect(int level, long block) {
        if (cachedNumber[level] != block) {
            cached[level] = ByteBuffer.wrap(fs.readBlock(block, "indirect block of inode " + inode.number)).order(ByteOrder.LITTLE_ENDIAN);
            cachedNumber[level] = block;
        }
        return cached[level];
    }
}
