package io.amiforge.store.strategy;

import java.util.function.LongBinaryOperator;

/**
 * A sparse array of longs indexed by block number, three levels of lazily allocated pages
 * (4096 x 4096 x n), so a 1 TiB volume's empty index costs a few hundred bytes. Zero means
 * "absent". One writer at a time; readers may race with it (a racing reader sees the old or the
 * new value of an entry, each entry being a single long).
 */
public final class SparseLongArray {

    private static final int PAGE_SHIFT = 12;
    private static final int PAGE = 1 << PAGE_SHIFT;
    private static final int MID_SHIFT = 12;
    private static final int MID = 1 << MID_SHIFT;

    private final long[][][] top;
    private long count;
    /** Pages and middle tables allocated so far (each 4096 references or longs). */
    private long tables;

    public SparseLongArray(long capacity) {
        long tops = (capacity + ((long) PAGE * MID) - 1) >>> (PAGE_SHIFT + MID_SHIFT);
        top = new long[(int) Math.max(1, tops)][][];
    }

    public long get(long index) {
        long[][] mid = top[(int) (index >>> (PAGE_SHIFT + MID_SHIFT))];
        if (mid == null) {
            return 0;
        }
        long[] page = mid[(int) (index >>> PAGE_SHIFT) & (MID - 1)];
        return page == null ? 0 : page[(int) index & (PAGE - 1)];
    }

    /** Sets an entry; returns the previous value. */
    public long set(long index, long value) {
        int t = (int) (index >>> (PAGE_SHIFT + MID_SHIFT));
        long[][] mid = top[t];
        if (mid == null) {
            if (value == 0) {
                return 0;
            }
            mid = new long[MID][];
            top[t] = mid;
            tables++;
        }
        int m = (int) (index >>> PAGE_SHIFT) & (MID - 1);
        long[] page = mid[m];
        if (page == null) {
            if (value == 0) {
                return 0;
            }
            page = new long[PAGE];
            mid[m] = page;
            tables++;
        }
        int p = (int) index & (PAGE - 1);
        long old = page[p];
        page[p] = value;
        if (old == 0 && value != 0) {
            count++;
        } else if (old != 0 && value == 0) {
            count--;
        }
        return old;
    }

    /** Number of non-zero entries. */
    public long count() {
        return count;
    }

    /** About the bytes of memory the tables take (8 per slot of each allocated page and middle table, and of the top table). */
    public long allocatedBytes() {
        return 8L * top.length + tables * 8L * PAGE;
    }

    /**
     * The first index at or after {@code from} whose entry is non-zero, or -1 if none: absent
     * middle tables and pages are skipped whole, so the cost follows the allocated pages, not
     * the span.
     */
    public long nextPresent(long from) {
        long index = Math.max(0, from);
        while (true) {
            int t = (int) (index >>> (PAGE_SHIFT + MID_SHIFT));
            if (t >= top.length) {
                return -1;
            }
            long[][] mid = top[t];
            if (mid == null) {
                index = (long) (t + 1) << (PAGE_SHIFT + MID_SHIFT);
                continue;
            }
            long[] page = mid[(int) (index >>> PAGE_SHIFT) & (MID - 1)];
            if (page != null) {
                for (int p = (int) index & (PAGE - 1); p < PAGE; p++) {
                    if (page[p] != 0) {
                        return (index & -(long) PAGE) + p;
                    }
                }
            }
            index = (index | (PAGE - 1)) + 1;
        }
    }

    /** Calls {@code action(index, value)} for every non-zero entry in ascending index order. */
    public void forEach(LongBinaryOperator action) {
        for (int t = 0; t < top.length; t++) {
            long[][] mid = top[t];
            if (mid == null) {
                continue;
            }
            for (int m = 0; m < MID; m++) {
                long[] page = mid[m];
                if (page == null) {
                    continue;
                }
                long base = ((long) t << (PAGE_SHIFT + MID_SHIFT)) | ((long) m << PAGE_SHIFT);
                for (int p = 0; p < PAGE; p++) {
                    if (page[p] != 0) {
                        action.applyAsLong(base + p, page[p]);
                    }
                }
            }
        }
    }
}
