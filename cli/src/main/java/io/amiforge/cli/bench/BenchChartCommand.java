package io.amiforge.cli.bench;

import io.amiforge.bench.sweep.Charts;
import io.amiforge.bench.sweep.Environment;
import io.amiforge.bench.sweep.JmhResults;
import io.amiforge.bench.sweep.ResultRow;
import io.amiforge.bench.sweep.SweepReport;
import io.amiforge.cli.common.CommandBase;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code amiforge bench chart --jmh FILE --out DIR}: the sweep's charts, CSV, JSON and page from
 * a JMH result file ({@code -rf json}).
 */
@Command(name = "chart", description = {"Draw the sweep's charts (PNG, SVG, index.html, results.csv/json) from JMH"
        + " results written with -rf json.", "Example: amiforge bench chart --jmh jmh.json --out charts/"})
public final class BenchChartCommand extends CommandBase {

    @Option(names = "--jmh", required = true, paramLabel = "FILE",
            description = {"JMH results (java -jar benchmarks.jar -rf json -rff FILE).", "Example: --jmh jmh.json"})
    Path jmh;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = {"Directory for the charts (created).", "Example: --out charts/"})
    Path out;

    @Override
    protected int execute() throws Exception {
        List<ResultRow> rows = JmhResults.read(jmh);
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("source", "JMH " + jmh);
        settings.put("note", "machine, JDK and commit above are those that drew the charts; JMH runs carry no seed");
        List<Charts.Chart> charts = SweepReport.write(out, Environment.current(0), settings, null, rows);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("out", out.toString());
        json.put("rows", rows.size());
        json.put("charts", charts.size());
        print(json, "wrote " + rows.size() + " rows and " + charts.size() + " charts to " + out + "\n");
        return 0;
    }
}
