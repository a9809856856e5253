package io.amiforge.store;

import java.util.Arrays;

/**
 * The free data slots of one {@link Layer}. A slot freed by an overwrite becomes reusable only
 * after the next fsync of the layer ({@link #synced}): until then a durable index entry may
 * still point at it, and reusing it would let a power loss leave that entry over other data.
 * Journal thread only; allocates only when a list grows.
 */
final class SlotAllocator {

    private long[] free = new long[16];
    private int freeCount;
    private long[] pending = new long[16];
    private int pendingCount;

    /** A slot no entry points at (found when the layer is opened): reusable at once. */
    void free(long slot) {
        if (freeCount == free.length) {
            free = Arrays.copyOf(free, freeCount * 2);
        }
        free[freeCount++] = slot;
    }

    /** A slot just replaced by an overwrite or a zero: reusable after the next fsync. */
    void freeAfterSync(long slot) {
        if (pendingCount == pending.length) {
            pending = Arrays.copyOf(pending, pendingCount * 2);
        }
        pending[pendingCount++] = slot;
    }

    /** The layer was fsynced: the slots freed before it are reusable. */
    void synced() {
        for (int i = 0; i < pendingCount; i++) {
            free(pending[i]);
        }
        pendingCount = 0;
    }

    boolean hasFree() {
        return freeCount > 0;
    }

    /** A reusable slot, or -1 if there is none. */
    long take() {
        return freeCount > 0 ? free[--freeCount] : -1;
    }
}
