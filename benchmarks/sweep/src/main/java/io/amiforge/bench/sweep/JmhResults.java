package io.amiforge.bench.sweep;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.amiforge.blockdev.AmiforgeException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads the JSON a JMH run writes ({@code -rf json -rff FILE}) into {@link ResultRow}s for
 * {@link Charts}: the strategy pair from a {@code strategy} parameter ({@code write-read}, or a
 * write strategy alone), else {@code write} and {@code read} parameters, else {@code -}; the depth
 * from a {@code depth} parameter, else 1; the workload is {@code Class.method}. Throughput modes
 * give ops/s; time modes give latencies ({@code sample} mode its percentiles, the others the score
 * as every percentile) and ops/s as the inverse of the mean.
 */
public final class JmhResults {

    private JmhResults() {
    }

    /** The rows of JMH result file {@code file}; a file that is not JMH JSON is an error naming it and what is wrong. */
    public static List<ResultRow> read(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (JacksonException e) {
            throw invalid(file, "is not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new AmiforgeException(AmiforgeException.Kind.NOT_FOUND, "InvalidParameterValue",
                    "cannot read JMH results " + file + ": " + e.getMessage(), e);
        }
        if (root == null || !root.isArray()) {
            throw invalid(file, "is not a JSON array of JMH results (write it with -rf json)");
        }
        List<ResultRow> rows = new ArrayList<>();
        for (int i = 0; i < root.size(); i++) {
            rows.add(row(file, i, root.get(i)));
        }
        if (rows.isEmpty()) {
            throw invalid(file, "holds no results");
        }
        return rows;
    }

    private static ResultRow row(Path file, int index, JsonNode r) {
        String where = "result " + index;
        String benchmark = text(file, where, r, "benchmark");
        String mode = text(file, where, r, "mode");
        JsonNode metric = r.path("primaryMetric");
        if (!metric.path("score").isNumber()) {
            throw invalid(file, where + " (" + benchmark + ") has no primaryMetric.score");
        }
        double score = metric.path("score").asDouble();
        String unit = metric.path("scoreUnit").asText("");
        JsonNode params = r.path("params");
        String write = "-";
        String read = "-";
        String strategy = params.path("strategy").asText(null);
        if (strategy != null) {
            int dash = strategy.indexOf('-');
            write = dash < 0 ? strategy : strategy.substring(0, dash);
            read = dash < 0 ? "-" : strategy.substring(dash + 1);
        } else {
            write = params.path("write").asText(write);
            read = params.path("read").asText(read);
        }
        int depth;
        try {
            depth = Integer.parseInt(params.path("depth").asText("1"));
        } catch (NumberFormatException e) {
            throw invalid(file, where + " (" + benchmark + ") has depth '" + params.path("depth").asText() + "', not a number");
        }
        String[] parts = benchmark.split("\\.");
        String workload = parts.length >= 2 ? parts[parts.length - 2] + "." + parts[parts.length - 1] : benchmark;
        if (mode.equals("thrpt")) {
            double perSec = score * perSecond(file, where, unit.substring(unit.indexOf('/') + 1));
            return new ResultRow(write, read, null, depth, workload, 0, perSec, Double.NaN, Double.NaN, Double.NaN, null, null, null,
                    null, null);
        }
        double toUs = 1e6 / perSecond(file, where, unit.substring(0, Math.max(0, unit.indexOf('/'))));
        JsonNode pct = metric.path("scorePercentiles");
        double p50 = pct.path("50.0").asDouble(score) * toUs;
        double p99 = pct.path("99.0").asDouble(score) * toUs;
        double p999 = pct.path("99.9").asDouble(score) * toUs;
        return new ResultRow(write, read, null, depth, workload, 0, 1e6 / (score * toUs), mode.equals("sample") ? p50 : score * toUs,
                mode.equals("sample") ? p99 : score * toUs, mode.equals("sample") ? p999 : score * toUs, null, null, null, null,
                null);
    }

    /** How many of {@code timeUnit} ("s", "ms", "us", "ns", "min") make a second. */
    private static double perSecond(Path file, String where, String timeUnit) {
        return switch (timeUnit.toLowerCase(Locale.ROOT)) {
            case "s" -> 1;
            case "ms" -> 1e3;
            case "us" -> 1e6;
            case "ns" -> 1e9;
            case "min" -> 1.0 / 60;
            default -> throw invalid(file, where + " has score unit time '" + timeUnit + "', not one of s, ms, us, ns, min");
        };
    }

    private static String text(Path file, String where, JsonNode r, String field) {
        JsonNode v = r.path(field);
        if (!v.isTextual()) {
            throw invalid(file, where + " has no '" + field + "'");
        }
        return v.asText();
    }

    private static AmiforgeException invalid(Path file, String what) {
        return new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidParameterValue", "JMH results " + file + " " + what);
    }
}
