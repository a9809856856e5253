package io.amiforge.bench.sweep;

import java.util.Arrays;

/** Nearest-rank percentiles of measured latencies in nanoseconds, reported in microseconds. */
final class Percentiles {

    private final long[] sorted;

    /** Sorts the first {@code count} values of {@code nanos} in place; {@code count} is at least 1. */
    Percentiles(long[] nanos, int count) {
        Arrays.sort(nanos, 0, count);
        this.sorted = Arrays.copyOf(nanos, count);
    }

    /** The latency at {@code quantile} (0 to 1) in microseconds. */
    double us(double quantile) {
        int rank = (int) Math.ceil(quantile * sorted.length) - 1;
        return sorted[Math.clamp(rank, 0, sorted.length - 1)] / 1e3;
    }
}
