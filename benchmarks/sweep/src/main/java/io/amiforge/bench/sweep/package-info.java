/**
 * {@code amiforge bench sweep}: {@link io.amiforge.bench.sweep.Sweep} runs a
 * {@link io.amiforge.bench.sweep.SweepConfig} into {@link io.amiforge.bench.sweep.ResultRow}s,
 * {@link io.amiforge.bench.sweep.SweepReport} writes them with charts, and
 * {@link io.amiforge.bench.sweep.JmhResults} turns JMH JSON into the same rows.
 */
package io.amiforge.bench.sweep;
