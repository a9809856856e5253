package io.amiforge.store;

import java.util.Arrays;

/**
 * The blocks a layer import stores, as ascending runs of consecutive blocks, each either data
 * (read from the source) or explicit zeros (no data read; they shadow the parent). Built by
 * appending in ascending order: a run that starts inside the previous one keeps only its part
 * past the previous run's end (the block already covered keeps its first kind), and a run that
 * continues the previous one with the same kind extends it. Memory is 16 bytes per run, however
 * many blocks the runs cover. Not thread-safe.
 */
public final class BlockRuns {

    private long[] firsts = new long[16];
    /** Block count of each run; negative for a run of explicit zeros. */
    private long[] counts = new long[16];
    private int size;
    private long blocks;

    /** No runs yet. */
    public BlockRuns() {
    }

    /** Appends {@code count} data blocks from {@code first}. */
    public BlockRuns data(long first, long count) {
        return add(first, count, false);
    }

    /** Appends {@code count} explicit zero blocks from {@code first}. */
    public BlockRuns zeros(long first, long count) {
        return add(first, count, true);
    }

    private BlockRuns add(long first, long count, boolean zero) {
        if (first < 0 || count < 0 || first > Long.MAX_VALUE - count) {
            throw new IllegalArgumentException("block run [" + first + ", +" + count + ") is out of range");
        }
        long end = first + count;
        long last = end();
        if (size > 0 && first < firsts[size - 1]) {
            throw new IllegalArgumentException("block run at " + first + " comes before the previous run at "
                    + firsts[size - 1] + "; runs must be appended in ascending order");
        }
        first = Math.max(first, last);
        if (first >= end) {
            return this;
        }
        long n = end - first;
        blocks += n;
        if (size > 0 && last == first && (counts[size - 1] < 0) == zero) {
            counts[size - 1] += zero ? -n : n;
            return this;
        }
        if (size == firsts.length) {
            firsts = Arrays.copyOf(firsts, size * 2);
            counts = Arrays.copyOf(counts, size * 2);
        }
        firsts[size] = first;
        counts[size] = zero ? -n : n;
        size++;
        return this;
    }

    /** Number of runs. */
    public int size() {
        return size;
    }

    /** First block of run {@code i}. */
    public long first(int i) {
        return firsts[i];
    }

    /** Blocks in run {@code i}. */
    public long count(int i) {
        return Math.abs(counts[i]);
    }

    /** Whether run {@code i} is explicit zeros. */
    public boolean isZero(int i) {
        return counts[i] < 0;
    }

    /** Blocks in all runs. */
    public long blocks() {
        return blocks;
    }

    /** The block after the last run (0 when empty). */
    public long end() {
        return size == 0 ? 0 : firsts[size - 1] + Math.abs(counts[size - 1]);
    }
}
