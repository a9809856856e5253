package io.amiforge.bench.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.store.spi.Strategies;
import io.amiforge.store.spi.StrategyProvider;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

@Timeout(300)
class SweepTest {

    private static final List<Integer> DEPTHS = List.of(1, 3);

    @TempDir
    static Path dir;

    private static List<ResultRow> rows;
    private static String digest;
    private static List<Charts.Chart> charts;

    /** One tiny sweep over every registered pair (the test plug-in bench_probe included), reported into dir/out. */
    @BeforeAll
    static void sweep() throws IOException {
        Sweep sweep = new Sweep(tiny(7), SweepProgress.NONE);
        rows = sweep.run(dir.resolve("scratch"));
        digest = sweep.workloadDigest();
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("depths", DEPTHS);
        charts = SweepReport.write(dir.resolve("out"), Environment.current(7), settings, digest, rows);
    }

    private static SweepConfig tiny(long seed) {
        return new SweepConfig(SweepConfig.pairs("all"), DEPTHS, 1 << 20, 100, 2, seed);
    }

    @Test
    void everyRegisteredPairIncludingThePluginHasARowPerDepthAndWorkload() {
        assertThat(Strategies.names(StrategyProvider.Kind.WRITE_STRATEGY)).contains("bench_probe");
        Set<String> seen = new HashSet<>();
        rows.forEach(r -> seen.add(r.write() + "-" + r.read() + "/" + r.pack() + "@" + r.depth() + ":" + r.workload()));
        for (String w : Strategies.names(StrategyProvider.Kind.WRITE_STRATEGY)) {
            for (String r : Strategies.names(StrategyProvider.Kind.READ_INDEX)) {
                for (int depth : DEPTHS) {
                    for (Workload workload : Workload.values()) {
                        for (String pack : SweepConfig.PACKS) {
                            assertThat(seen).contains(w + "-" + r + "/" + pack + "@" + depth + ":" + workload.label());
                        }
                    }
                }
            }
        }
        assertThat(rows).hasSize(seen.size());
        assertThat(rows).allSatisfy(r -> {
            assertThat(r.opsPerSec()).isPositive();
            assertThat(r.p50Us()).isPositive().isLessThanOrEqualTo(r.p99Us());
            assertThat(r.p99Us()).isLessThanOrEqualTo(r.p999Us());
            assertThat(r.memorySource()).isEqualTo(Sweep.MEMORY_SOURCE);
            assertThat(r.files()).isNotNull();
        });
        assertThat(rows).filteredOn(r -> r.workload().equals("random_write"))
                .allSatisfy(r -> assertThat(r.writeAmplification()).isGreaterThanOrEqualTo(1.0));
        assertThat(rows).filteredOn(r -> !r.workload().equals("random_write"))
                .allSatisfy(r -> assertThat(r.writeAmplification()).isNull());
    }

    @Test
    void csvHasTheHeaderAndOneFullLinePerRow() throws IOException {
        List<String> lines = Files.readAllLines(dir.resolve("out/results.csv"));
        assertThat(lines.getFirst()).isEqualTo(String.join(",", SweepReport.CSV_HEADER));
        assertThat(lines).hasSize(rows.size() + 1);
        for (String line : lines.subList(1, lines.size())) {
            String[] cells = line.split(",", -1);
            assertThat(cells).hasSize(SweepReport.CSV_HEADER.size());
            assertThat(cells[2]).isIn(SweepConfig.PACKS);
            assertThat(Integer.parseInt(cells[3])).isIn(DEPTHS);
            assertThat(Double.parseDouble(cells[6])).isPositive();
        }
    }

    @Test
    void jsonCarriesEnvironmentDigestAndRows() throws IOException {
        JsonNode json = new ObjectMapper().readTree(dir.resolve("out/results.json").toFile());
        for (String field : List.of("cpu", "cores", "memoryBytes", "jdk", "commit", "seed", "date")) {
            assertThat(json.path("environment").has(field)).as(field).isTrue();
        }
        assertThat(json.path("environment").path("seed").asLong()).isEqualTo(7);
        assertThat(json.path("workloadDigest").asText()).isEqualTo(digest).hasSize(64);
        assertThat(json.path("rows").size()).isEqualTo(rows.size());
        JsonNode first = json.path("rows").get(0);
        for (String field : List.of("write", "read", "pack", "depth", "workload", "ops", "opsPerSec", "p50Us", "p99Us", "p999Us",
                "writeAmplification", "memoryBytes", "memorySource", "diskBytes", "files")) {
            assertThat(first.has(field)).as(field).isTrue();
        }
    }

    @Test
    void theSameSeedGivesTheSameWorkloadAndAnotherSeedAnother() {
        Sweep again = new Sweep(tiny(7), SweepProgress.NONE);
        again.run(dir.resolve("scratch2"));
        assertThat(again.workloadDigest()).isEqualTo(digest);
        WorkloadPlan a = new WorkloadPlan(7, 256);
        WorkloadPlan b = new WorkloadPlan(7, 256);
        WorkloadPlan c = new WorkloadPlan(8, 256);
        assertThat(a.randomBlocks("random_read", 8, 0, 50)).containsExactly(b.randomBlocks("random_read", 8, 0, 50));
        assertThat(Arrays.equals(b.randomBlocks("layer", 8, 1, 50), c.randomBlocks("layer", 8, 1, 50))).isFalse();
        assertThat(a.digest()).isNotEqualTo(c.digest());
    }

    @Test
    void chartsAreValidPngAndSvgAndThePageShowsThem() throws Exception {
        assertThat(charts).extracting(Charts.Chart::name)
                .contains("throughput-random_read", "latency-p99-random_read", "write-amplification", "memory");
        String html = Files.readString(dir.resolve("out/index.html"));
        for (Charts.Chart c : charts) {
            BufferedImage png = ImageIO.read(dir.resolve("out/" + c.name() + ".png").toFile());
            assertThat(png).as(c.name()).isNotNull();
            assertThat(png.getWidth()).isEqualTo(900);
            DocumentBuilderFactory xml = DocumentBuilderFactory.newInstance();
            xml.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            Document svg = xml.newDocumentBuilder().parse(dir.resolve("out/" + c.name() + ".svg").toFile());
            assertThat(svg.getDocumentElement().getTagName()).isEqualTo("svg");
            assertThat(svg.getElementsByTagName("text").getLength() + svg.getElementsByTagName("path").getLength()).isPositive();
            assertThat(html).contains(c.name() + ".svg", c.name() + ".png");
        }
        assertThat(html).contains("Cores", "JDK", "Commit", "Seed", digest);
    }

    @Test
    void unknownStrategiesAndBadDepthsAreUsageErrors() {
        assertThatThrownBy(() -> SweepConfig.of("nosuch", null, true, 1)).isInstanceOf(AmiforgeException.class)
                .hasMessageContaining("'nosuch' in --strategies").hasMessageContaining("row");
        assertThatThrownBy(() -> SweepConfig.of("row-nosuch", null, true, 1)).isInstanceOf(AmiforgeException.class)
                .hasMessageContaining("nosuch");
        assertThatThrownBy(() -> SweepConfig.of("all", List.of(0), true, 1)).isInstanceOf(AmiforgeException.class)
                .hasMessageContaining("depth 0 in --depths");
        assertThat(SweepConfig.of("row", null, true, 1).pairs()).allMatch(p -> p.startsWith("row-"));
        assertThat(SweepConfig.of("all", null, true, 1).depths()).isEqualTo(SweepConfig.QUICK_DEPTHS);
    }

    @Test
    void jmhJsonGivesTheSameCharts() throws Exception {
        Path jmh = dir.resolve("jmh.json");
        List<String> results = new ArrayList<>();
        for (String strategy : List.of("row-flat", "cow-walk")) {
            for (int depth : List.of(1, 8, 64)) {
                results.add("""
                        {"benchmark":"io.amiforge.bench.store.ChainReadBenchmark.randomRead","mode":"thrpt",
                         "params":{"depth":"%d","strategy":"%s"},
                         "primaryMetric":{"score":%d.5,"scoreUnit":"ops/ms","scorePercentiles":{"50.0":1.0}}}"""
                        .formatted(depth, strategy, 100 + depth));
                results.add("""
                        {"benchmark":"io.amiforge.bench.store.ChainReadBenchmark.readLatency","mode":"sample",
                         "params":{"depth":"%d","strategy":"%s"},
                         "primaryMetric":{"score":2000.0,"scoreUnit":"ns/op",
                           "scorePercentiles":{"50.0":1500.0,"99.0":9000.0,"99.9":20000.0}}}"""
                        .formatted(depth, strategy));
            }
        }
        Files.writeString(jmh, "[" + String.join(",", results) + "]");
        List<ResultRow> jmhRows = JmhResults.read(jmh);
        assertThat(jmhRows).hasSize(12);
        ResultRow thrpt = jmhRows.getFirst();
        assertThat(thrpt.pair()).isEqualTo("row-flat");
        assertThat(thrpt.workload()).isEqualTo("ChainReadBenchmark.randomRead");
        assertThat(thrpt.opsPerSec()).isEqualTo(101_500.0);
        ResultRow sample = jmhRows.get(1);
        assertThat(sample.p50Us()).isEqualTo(1.5);
        assertThat(sample.p999Us()).isEqualTo(20.0);
        assertThat(sample.opsPerSec()).isEqualTo(500_000.0);
        List<Charts.Chart> drawn = SweepReport.write(dir.resolve("jmh-out"), Environment.current(0), Map.of(), null, jmhRows);
        assertThat(drawn).extracting(Charts.Chart::name).contains("throughput-ChainReadBenchmark.randomRead",
                "latency-p99-ChainReadBenchmark.readLatency");
        try (Stream<Path> files = Files.list(dir.resolve("jmh-out"))) {
            assertThat(files.map(p -> p.getFileName().toString())).contains("results.csv", "results.json", "index.html");
        }
        Files.writeString(dir.resolve("bad.json"), "{\"not\":\"jmh\"}");
        assertThatThrownBy(() -> JmhResults.read(dir.resolve("bad.json"))).isInstanceOf(AmiforgeException.class)
                .hasMessageContaining("bad.json").hasMessageContaining("-rf json");
    }
}
