package io.amiforge.bench.sweep;

/**
 * One measured row: a write strategy and read index at a chain depth under one workload.
 * Latencies are in microseconds. The nullable figures are absent where the source did not
 * measure them: {@code writeAmplification} (store bytes written per guest byte) only for
 * guest writes; memory, disk and files not at all for rows read from JMH JSON.
 *
 * @param write write strategy name
 * @param read read index name
 * @param pack the automatic packing of the store the row was measured in ({@code auto}: the
 *             default, {@code off}), or null where the source does not say (JMH)
 * @param depth snapshot layers under the volume
 * @param workload workload label ({@link Workload#label()}, or the JMH benchmark)
 * @param ops operations timed
 * @param opsPerSec operations per second
 * @param p50Us median latency
 * @param p99Us 99th percentile latency
 * @param p999Us 99.9th percentile latency
 * @param writeAmplification bytes the store wrote (data, metadata, copy-outs) per guest byte written, or null
 * @param memoryBytes metadata held in memory by the open volume, or null
 * @param memorySource how {@code memoryBytes} was obtained, or null
 * @param diskBytes bytes on disk of the chain's files after the workload, or null
 * @param files files of the chain after the workload, or null
 */
public record ResultRow(String write, String read, String pack, int depth, String workload, long ops, double opsPerSec,
        double p50Us, double p99Us, double p999Us, Double writeAmplification, Long memoryBytes, String memorySource,
        Long diskBytes, Long files) {

    /** The strategy pair: {@code write-read}. */
    public String pair() {
        return write + "-" + read;
    }

    /** What charts label a line with: the pair, and the packing when the row says it ({@code write-read pack=auto}). */
    public String series() {
        return pack == null ? pair() : pair() + " pack=" + pack;
    }
}
