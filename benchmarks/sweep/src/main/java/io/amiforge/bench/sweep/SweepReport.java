package io.amiforge.bench.sweep;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a run into a directory: {@code results.csv} (header {@link #CSV_HEADER}, one row per
 * strategy pair, packing, depth and workload), {@code results.json} (environment, run settings, workload
 * digest and the same rows), the {@link Charts} as PNG and SVG, and {@code index.html} showing
 * them with the environment.
 */
public final class SweepReport {

    /** The columns of {@code results.csv}, in order. */
    public static final List<String> CSV_HEADER = List.of("write", "read", "pack", "depth", "workload", "ops", "ops_per_sec", "p50_us",
            "p99_us", "p999_us", "bytes_written_per_guest_byte", "metadata_memory_bytes", "memory_source", "disk_bytes", "files");

    private SweepReport() {
    }

    /**
     * Writes everything into {@code out} (created if missing; files of the same names replaced).
     *
     * @param settings what the run was asked (depths, strategies, seed, volume size...), shown as given
     * @param digest the workload digest, or null where there is none (JMH)
     * @return the charts written
     */
    public static List<Charts.Chart> write(Path out, Environment env, Map<String, Object> settings, String digest,
            List<ResultRow> rows) throws IOException {
        Files.createDirectories(out);
        Files.writeString(out.resolve("results.csv"), csv(rows), StandardCharsets.UTF_8);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("environment", env);
        json.put("settings", settings);
        json.put("workloadDigest", digest);
        json.put("rows", rows);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("results.json").toFile(), json);
        List<Charts.Chart> charts = Charts.write(rows, out);
        Files.writeString(out.resolve("index.html"), html(env, settings, digest, charts, rows), StandardCharsets.UTF_8);
        return charts;
    }

    static String csv(List<ResultRow> rows) {
        StringBuilder s = new StringBuilder(String.join(",", CSV_HEADER)).append('\n');
        for (ResultRow r : rows) {
            s.append(String.join(",", r.write(), r.read(), text(r.pack()), Integer.toString(r.depth()), r.workload(), Long.toString(r.ops()),
                    num(r.opsPerSec()), num(r.p50Us()), num(r.p99Us()), num(r.p999Us()),
                    r.writeAmplification() == null ? "" : num(r.writeAmplification()), text(r.memoryBytes()),
                    text(r.memorySource()), text(r.diskBytes()), text(r.files()))).append('\n');
        }
        return s.toString();
    }

    private static String html(Environment env, Map<String, Object> settings, String digest, List<Charts.Chart> charts,
            List<ResultRow> rows) {
        StringBuilder s = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<title>amiforge bench</title><style>body{font-family:sans-serif;margin:2em}"
                + "td,th{padding:2px 8px;text-align:left}img{max-width:100%}</style></head><body>\n<h1>amiforge bench</h1>\n<table>\n");
        row(s, "CPU", env.cpu());
        row(s, "Cores", Integer.toString(env.cores()));
        row(s, "Memory", String.format(Locale.ROOT, "%.1f GiB", env.memoryBytes() / (double) (1L << 30)));
        row(s, "JDK", env.jdk());
        row(s, "Commit", env.commit());
        row(s, "Seed", Long.toString(env.seed()));
        row(s, "Date", env.date());
        settings.forEach((k, v) -> row(s, k, String.valueOf(v)));
        if (digest != null) {
            row(s, "Workload digest", digest);
        }
        row(s, "Rows", Integer.toString(rows.size()));
        s.append("</table>\n<p><a href=\"results.csv\">results.csv</a> · <a href=\"results.json\">results.json</a></p>\n");
        for (Charts.Chart c : charts) {
            s.append("<h2>").append(escape(c.title())).append("</h2>\n<p><img src=\"").append(c.name())
                    .append(".svg\" alt=\"").append(escape(c.title())).append("\"><br><a href=\"").append(c.name())
                    .append(".png\">PNG</a> · <a href=\"").append(c.name()).append(".svg\">SVG</a></p>\n");
        }
        return s.append("</body></html>\n").toString();
    }

    private static void row(StringBuilder s, String key, String value) {
        s.append("<tr><th>").append(escape(key)).append("</th><td>").append(escape(value)).append("</td></tr>\n");
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    private static String text(Object v) {
        return v == null ? "" : v.toString();
    }
}
