/**
 * NBD and request-pipeline benchmarks: {@link io.amiforge.bench.nbd.QemuNbdComparison} runs
 * {@code qemu-img bench} against amiforge's NBD server and {@code qemu-nbd} on the same raw
 * file in one run and prints the ratio; {@link io.amiforge.bench.nbd.PipelineBenchmark} (JMH)
 * measures the pipeline against direct device calls.
 */
package io.amiforge.bench.nbd;
