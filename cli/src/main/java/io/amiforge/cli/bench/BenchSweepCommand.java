package io.amiforge.cli.bench;

import io.amiforge.bench.sweep.Charts;
import io.amiforge.bench.sweep.Environment;
import io.amiforge.bench.sweep.ResultRow;
import io.amiforge.bench.sweep.Sweep;
import io.amiforge.bench.sweep.SweepConfig;
import io.amiforge.bench.sweep.SweepReport;
import io.amiforge.cli.common.CommandBase;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code amiforge bench sweep --out DIR}: every registered write strategy x read index (plug-ins
 * of --plugin-path included) over chain depths and workloads, written as results.csv,
 * results.json, PNG and SVG charts and index.html (see docs/bench.md).
 */
@Command(name = "sweep", description = {"Run every write strategy x read index (plug-ins included) over chain depths and"
        + " workloads; write results.csv, results.json, PNG/SVG charts and index.html into --out.",
        "Example: amiforge bench sweep --quick --out sweep/"})
public final class BenchSweepCommand extends CommandBase {

    @Option(names = "--out", required = true, paramLabel = "DIR", description = {"Directory for the results (created).", "Example: --out sweep/"})
    Path out;

    @Option(names = "--depths", split = ",", paramLabel = "N[,N...]",
            description = {"Chain depths (default 1,8,64,512,1000; with --quick 1,8,64).", "Example: --depths 1,64,1000"})
    List<Integer> depths;

    @Option(names = "--strategies", defaultValue = "all", paramLabel = "all|WRITE-READ|NAME[,...]",
            description = {"Strategy pairs: all (default), WRITE-READ pairs, or a strategy name (paired with every other kind).",
                "Example: --strategies row-flat,cow-walk"})
    String strategies;

    @Option(names = "--quick", description = {"Small volumes (16 MiB) and few operations: about a minute.", "Example: --quick"})
    boolean quick;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N",
            description = {"Workload seed (default 1): same seed, same workload.", "Example: --seed 42"})
    long seed;

    @Option(names = "--scratch", paramLabel = "DIR",
            description = {"Where the bench store is built and deleted (default: the temp dir).", "Example: --scratch /mnt/nvme/tmp"})
    Path scratch;

    @Override
    protected int execute() throws Exception {
        SweepConfig config = SweepConfig.of(strategies, depths, quick, seed);
        Sweep sweep;
        List<ResultRow> rows;
        try (ProgressLines progress = new ProgressLines(err(), global().json())) {
            sweep = new Sweep(config, progress);
            rows = sweep.run(scratch != null ? scratch : Path.of(System.getProperty("java.io.tmpdir")));
        }
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("strategies", config.pairs());
        settings.put("depths", config.depths());
        settings.put("packs", config.packs());
        settings.put("quick", quick);
        settings.put("volumeBytes", config.volumeBytes());
        settings.put("blockSize", SweepConfig.BLOCK);
        settings.put("dataOps", config.dataOps());
        settings.put("metaOps", config.metaOps());
        List<Charts.Chart> charts = SweepReport.write(out, Environment.current(seed), settings, sweep.workloadDigest(), rows);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("out", out.toString());
        json.put("rows", rows.size());
        json.put("charts", charts.size());
        json.put("workloadDigest", sweep.workloadDigest());
        print(json, "wrote " + rows.size() + " rows and " + charts.size() + " charts to " + out + " (open "
                + out.resolve("index.html") + ")\n");
        return 0;
    }
}
