package io.amiforge.cli.bench;

import picocli.CommandLine.Command;

/** {@code amiforge bench ...}: measure the snapshot store's strategies and chart the results. */
@Command(name = "bench", description = "Measure every store strategy over chain depths and workloads; chart JMH results.",
        mixinStandardHelpOptions = true, subcommands = {BenchSweepCommand.class, BenchChartCommand.class})
public final class BenchCommand {
}
