package io.amiforge.store;

import io.amiforge.blockdev.Extent;
import io.amiforge.store.spi.Location;
import io.amiforge.store.spi.ReadIndex;

/**
 * Allocation status of a volume or snapshot from the store's own map, resolved the way
 * {@link BlockReads} resolves reads: a block no layer of the chain holds, or whose top-most
 * entry is an explicit zero (a discard), is {@link Extent.Kind#ZERO}; a block with stored data
 * is {@link Extent.Kind#DATA}. Nothing is read and nothing is scanned for zeros.
 */
final class StoreAllocation {

    /** The lookup's answer, reused by each calling thread (a lookup allocates nothing). */
    private static final ThreadLocal<Location> WHERE = ThreadLocal.withInitial(Location::new);

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
     * one block some layer holds to the next, so the cost follows the blocks stored, not the span
     * of the hole. The next held block comes from the read index where it knows it (the flat
     * index: one binary search in its sorted blocks, no layer's own table is loaded), else from
     * each layer ({@link Layer#nextBlock}).
     */
    private static long lastOfHole(BlockReads.Source source, long block, long last) {
        ReadIndex.Resolver resolver = source.resolver();
        Stack stack = (Stack) resolver.stack();
        long next = block + 1;
        while (next <= last) {
            long candidate = resolver.nextHeld(next);
            if (candidate == ReadIndex.Resolver.UNKNOWN) {
                candidate = -1;
                for (Layer layer : stack.layers) {
                    long b = layer.nextBlock(next);
                    if (b >= 0 && (candidate < 0 || b < candidate)) {
                        candidate = b;
                    }
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

    /** Whether the top-most entry of {@code block} is stored data (one lookup in the read index). */
    private static boolean holdsData(BlockReads.Source source, long block) {
        Location where = WHERE.get();
        while (true) {
            ReadIndex.Resolver resolver = source.resolver();
            resolver.locate(block, where);
            int ordinal = where.ordinal();
            if (ordinal >= resolver.stack().depth()) {
                continue; // the flat index already knows a layer pushed after we read the resolver
            }
            long entry = where.entry();
            return ordinal >= 0 && entry != 0 && !Layer.isZero(entry);
        }
    }
}
