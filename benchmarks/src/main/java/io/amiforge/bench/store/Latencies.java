package io.amiforge.bench.store;

import java.util.Arrays;

/** Percentiles of a run of measured latencies, printed one line per run by the latency mains. */
final class Latencies {

    private Latencies() {
    }

    /** Prints "{@code what}: p50, p90, p99, p99.9 and max" in microseconds. */
    static void report(String what, long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        System.out.printf("%s: p50 %.1f us, p90 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us%n", what,
                at(sorted, 0.5), at(sorted, 0.9), at(sorted, 0.99), at(sorted, 0.999), sorted[sorted.length - 1] / 1e3);
    }

    private static double at(long[] sorted, double quantile) {
        return sorted[(int) (sorted.length * quantile)] / 1e3;
    }
}
