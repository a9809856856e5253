package io.amiforge.store;

import io.amiforge.blockdev.Extent;
import io.amiforge.store.spi.ReadIndex;

/**
 * Allocation status of a volume or snapshot from the store's own map, resolved the way
 * {@link BlockReads} resolves reads: a block no layer of the chain holds, or whose top-most
 * entry is an explicit zero (a discard), is {@link Extent.Kind#ZERO}; a block with stored data
 * is {@link Extent.Kind#DATA}. Nothing is read and nothing is scanned for zeros.
 */
final class StoreAllocation {

    private StoreAllocation() {
    }

    /**
     * The run of equal status from {@code offset}, at most {@code maxLength} bytes (the range is
     * already checked and non-empty). The caller holds the store's read lock.
     */
    static Extent extentAt(BlockReads.Source source, int blockSize, long offset, long maxLength) {
        int shift = Integer.numberOfTrailingZeros(blockSize);
        long end = offset + maxLength;
        long last = (end - 1) >>> shift;
        long block = offset >>> shift;
        boolean data = holdsData(source, block);
        if (data) {
            while (block < last && holdsData(source, block + 1)) {
                block++;
            }
        } else {
            block = lastOfHole(source, block, last);
        }
        long stop = Math.min(end, (block + 1) << shift);
        return new Extent(offset, stop - offset, data ? Extent.Kind.DATA : Extent.Kind.ZERO);
    }

    /**
     * The last block of the hole that starts at {@code block}, at most {@code last}: jumps from
     * one block some layer holds to the next ({@link Layer#nextBlock}), so the cost follows the
     * blocks stored, not the span of the hole.
     */
    private static long lastOfHole(BlockReads.Source source, long block, long last) {
        Stack stack = (Stack) source.resolver().stack();
        long next = block + 1;
        while (next <= last) {
            long candidate = -1;
            for (Layer layer : stack.layers) {
                long b = layer.nextBlock(next);
                if (b >= 0 && (candidate < 0 || b < candidate)) {
                    candidate = b;
                }
            }
            if (candidate < 0 || candidate > last) {
                return last;
            }
            if (holdsData(source, candidate)) {
                return candidate - 1;
            }
            next = candidate + 1; // an explicit zero (or shadowed by one): still a hole
        }
        return last;
    }

    private static boolean holdsData(BlockReads.Source source, long block) {
        while (true) {
            ReadIndex.Resolver resolver = source.resolver();
            Stack stack = (Stack) resolver.stack();
            int ordinal = resolver.find(block);
            if (ordinal >= stack.layers.length) {
                continue; // the flat index already knows a layer pushed after we read the resolver
            }
            if (ordinal < 0) {
                return false;
            }
            long entry = stack.layers[ordinal].entry(block);
            return entry != 0 && !Layer.isZero(entry);
        }
    }
}
