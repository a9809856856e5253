/**
 * qcow2 benchmarks against qemu-img on the same files in the same run: JMH classes
 * {@link io.amiforge.bench.qcow2.Qcow2ConvertBenchmark} and
 * {@link io.amiforge.bench.qcow2.Qcow2RandomReadBenchmark}, and the plain-main side-by-side
 * harness {@link io.amiforge.bench.qcow2.Qcow2VersusQemu} that prints the ratios recorded in
 * {@code benchmarks/results/qcow2.md}.
 */
package io.amiforge.bench.qcow2;
