package io.amiforge.imagefmt.ext;

import io.amiforge.blockdev.AmiforgeException;
import java.util.BitSet;

/**
 * Hands out the data blocks of an ext2 filesystem being written, in order from one cursor that
 * skips each group's metadata, and remembers which blocks are in use (for the block bitmaps).
 * Group metadata is marked in use from the start.
 */
final class BlockAllocator {

    private final Ext2Layout layout;
    private final String device;
    private final long deviceSize;
    private final BitSet used;
    private long cursor;

    BlockAllocator(Ext2Layout layout, String device, long deviceSize) {
        this.layout = layout;
        this.device = device;
        this.deviceSize = deviceSize;
        this.used = new BitSet((int) Math.min(Integer.MAX_VALUE, layout.blocksCount));
        for (long g = 0; g < layout.groups; g++) {
            used.set((int) layout.groupStart(g), (int) layout.dataStart(g));
        }
        this.cursor = layout.dataStart(0);
    }

    /** True when {@code block} is metadata or was allocated. */
    boolean isUsed(long block) {
        return used.get((int) block);
    }

    /** The next free data block at or after the cursor. */
    long allocate() {
        while (true) {
            if (cursor >= layout.blocksCount) {
                throw full();
            }
            if (!used.get((int) cursor)) {
                used.set((int) cursor);
                return cursor++;
            }
            long g = (cursor - layout.firstData) / layout.blocksPerGroup;
            cursor = cursor < layout.dataStart(g) ? layout.dataStart(g) : layout.groupStart(g + 1);
            if (g + 1 < layout.groups && cursor == layout.groupStart(g + 1)) {
                cursor = layout.dataStart(g + 1);
            }
        }
    }

    /** {@code n} consecutive free data blocks (the first run at or after the cursor that fits). */
    long allocateRun(long n) {
        long g = Math.max(0, (cursor - layout.firstData) / layout.blocksPerGroup);
        long start = Math.max(cursor, layout.dataStart(g));
        while (g < layout.groups) {
            long end = layout.groupStart(g) + layout.groupBlocks(g);
            // a run may cross into the next group only if that group has no metadata at its start: never here
            if (end - start >= n) {
                used.set((int) start, (int) (start + n));
                cursor = start + n;
                return start;
            }
            g++;
            if (g < layout.groups) {
                start = layout.dataStart(g);
            }
        }
        throw new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidParameterValue",
                "%s: no run of %d contiguous free blocks left (block groups hold %d data blocks at most)"
                        .formatted(device, n, layout.blocksPerGroup));
    }

    private AmiforgeException full() {
        return new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidParameterValue",
                "%s: the source tree does not fit in %d bytes (%d blocks of %d bytes)"
                        .formatted(device, deviceSize, layout.blocksCount, layout.blockSize));
    }
}
