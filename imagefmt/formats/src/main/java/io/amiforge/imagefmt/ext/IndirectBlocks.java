package io.amiforge.imagefmt.ext;

import io.amiforge.imagefmt.ext.Ext2Writer.BlockRun;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Builds an inode's classic block map ({@code i_block}: 12 direct pointers, then single,
 * double and triple indirect) from a file's data runs, allocating and writing the indirect
 * blocks that cover any data; ranges without data stay 0 (holes).
 */
final class IndirectBlocks {

    private final int bs;
    private final BlockAllocator allocator;
    private final BlockBatch out;

    IndirectBlocks(int blockSize, BlockAllocator allocator, BlockBatch out) {
        this.bs = blockSize;
        this.allocator = allocator;
        this.out = out;
    }

    /** The most data blocks a file can have with this block size. */
    long maxBlocks() {
        long per = bs / 4;
        return Ext2Writer.DIRECT + per + per * per + per * per * per;
    }

    /** Fills {@code iblock} from {@code fileRuns}, allocating and writing indirect blocks; returns how many. */
    long build(List<BlockRun> fileRuns, int[] iblock) {
        for (int l = 0; l < Ext2Writer.DIRECT; l++) {
            iblock[l] = (int) physical(fileRuns, l);
        }
        long per = bs / 4;
        long[] count = {0};
        long base = Ext2Writer.DIRECT;
        long span = per;
        for (int level = 1; level <= 3; level++) {
            iblock[Ext2Writer.DIRECT - 1 + level] = (int) indirect(fileRuns, level, base, count);
            base += span;
            span *= per;
        }
        return count[0];
    }

    private long indirect(List<BlockRun> fileRuns, int level, long lo, long[] count) {
        long per = bs / 4;
        long span = 1;
        for (int i = 0; i < level; i++) {
            span *= per;
        }
        if (!intersects(fileRuns, lo, lo + span)) {
            return 0;
        }
        long block = allocator.allocate();
        count[0]++;
        ByteBuffer b = ByteBuffer.allocate(bs).order(ByteOrder.LITTLE_ENDIAN);
        long sub = span / per;
        for (int i = 0; i < per; i++) {
            long from = lo + i * sub;
            long v = level == 1 ? physical(fileRuns, from) : indirect(fileRuns, level - 1, from, count);
            b.putInt(4 * i, (int) v);
        }
        out.write(block, b.array(), 0);
        return block;
    }

    private static int runIndex(List<BlockRun> fileRuns, long logical) {
        int lo = 0;
        int hi = fileRuns.size() - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (fileRuns.get(mid).logical() <= logical) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    private static long physical(List<BlockRun> fileRuns, long logical) {
        int i = runIndex(fileRuns, logical);
        if (i < 0) {
            return 0;
        }
        BlockRun r = fileRuns.get(i);
        return logical < r.logical() + r.count() ? r.physical() + (logical - r.logical()) : 0;
    }

    private static boolean intersects(List<BlockRun> fileRuns, long lo, long hi) {
        int i = runIndex(fileRuns, hi - 1);
        return i >= 0 && fileRuns.get(i).logical() + fileRuns.get(i).count() > lo;
    }
}
