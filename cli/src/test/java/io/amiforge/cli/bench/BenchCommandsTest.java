package io.amiforge.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.cli.CliRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code amiforge bench sweep} and {@code bench chart} through the command line: results in a pipe, clear errors. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class BenchCommandsTest {

    @TempDir
    Path dir;

    @Test
    void aSweepInAPipeWritesResultsAndPlainProgressLines() {
        Path out = dir.resolve("out");
        CliRunner.Run run = CliRunner.run("bench", "sweep", "--quick", "--depths", "1,2", "--strategies", "row-flat",
                "--seed", "3", "--out", out.toString(), "--scratch", dir.resolve("scratch").toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("wrote 28 rows"); // 7 workloads x 2 depths x 2 packings (auto, off)
        assertThat(run.err()).contains("row-flat pack=auto depth 2: flatten").contains("row-flat pack=off depth 2: flatten")
                .doesNotContain("%");
        assertThat(out.resolve("results.csv")).exists();
        assertThat(out.resolve("index.html")).exists();
        assertThat(out.resolve("throughput-random_read.svg")).exists();
    }

    @Test
    void unknownStrategiesAndBadDepthsAreNamedWithoutAStackTrace() {
        CliRunner.Run strategy = CliRunner.run("bench", "sweep", "--quick", "--strategies", "row-nosuch", "--out",
                dir.resolve("o1").toString());
        assertThat(strategy.exitCode()).isNotZero();
        assertThat(strategy.err()).contains("nosuch").doesNotContain("\tat ");
        CliRunner.Run depth = CliRunner.run("bench", "sweep", "--quick", "--depths", "0", "--out", dir.resolve("o2").toString());
        assertThat(depth.exitCode()).isNotZero();
        assertThat(depth.err()).contains("depth 0 in --depths").doesNotContain("\tat ");
        assertThat(dir.resolve("o2")).doesNotExist();
    }

    @Test
    void chartReadsJmhJsonAndRejectsOtherFiles() throws Exception {
        Path jmh = Files.writeString(dir.resolve("jmh.json"), """
                [{"benchmark":"io.amiforge.bench.store.ChainReadBenchmark.randomRead","mode":"thrpt",
                  "params":{"depth":"8","strategy":"row-flat"},"primaryMetric":{"score":12.0,"scoreUnit":"ops/us"}}]""");
        CliRunner.Run ok = CliRunner.run("bench", "chart", "--jmh", jmh.toString(), "--out", dir.resolve("c").toString(), "--json");
        assertThat(ok.exitCode()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("\"rows\" : 1").contains("\"charts\" : 1");
        assertThat(dir.resolve("c/throughput-ChainReadBenchmark.randomRead.png")).exists();
        Path bad = Files.writeString(dir.resolve("bad.json"), "not json");
        CliRunner.Run no = CliRunner.run("bench", "chart", "--jmh", bad.toString(), "--out", dir.resolve("d").toString());
        assertThat(no.exitCode()).isNotZero();
        assertThat(no.err()).contains("bad.json").contains("not JSON").doesNotContain("\tat ");
    }
}
