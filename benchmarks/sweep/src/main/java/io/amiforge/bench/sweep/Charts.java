package io.amiforge.bench.sweep;

import java.awt.Color;
import java.awt.Dimension;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.apache.batik.svggen.SVGGraphics2D;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.w3c.dom.Document;

/**
 * Draws result rows as line charts against chain depth, one series per strategy pair, each
 * written as PNG and SVG: throughput and p99 latency per workload, write amplification and
 * metadata memory where the rows carry them. A chart with no data point is not drawn.
 */
public final class Charts {

    private static final int WIDTH = 900;
    private static final int HEIGHT = 540;

    /** A chart written: its title and file name without extension ({@code .png} and {@code .svg} exist). */
    public record Chart(String title, String name) {
    }

    private Charts() {
    }

    /** Writes every chart of {@code rows} into {@code dir}; returns them in page order. */
    public static List<Chart> write(List<ResultRow> rows, Path dir) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<Chart> out = new ArrayList<>();
        for (String workload : rows.stream().map(ResultRow::workload).distinct().toList()) {
            List<ResultRow> of = rows.stream().filter(r -> r.workload().equals(workload)).toList();
            chart(out, dir, "throughput-" + workload, workload + ": throughput", "ops/s", of, r -> r.opsPerSec());
            chart(out, dir, "latency-p99-" + workload, workload + ": p99 latency", "microseconds", of, r -> r.p99Us());
        }
        chart(out, dir, "write-amplification", "Write amplification (random_write)", "store bytes written per guest byte",
                rows, r -> r.writeAmplification());
        chart(out, dir, "memory", "Metadata memory of the open volume (heap delta after GC)", "MiB",
                rows.stream().filter(r -> r.workload().equals(Workload.RANDOM_READ.label())).toList(),
                r -> r.memoryBytes() == null ? null : r.memoryBytes() / (double) (1 << 20));
        chart(out, dir, "disk", "Chain on disk after random_write", "MiB",
                rows.stream().filter(r -> r.workload().equals(Workload.RANDOM_WRITE.label())).toList(),
                r -> r.diskBytes() == null ? null : r.diskBytes() / (double) (1 << 20));
        return out;
    }

    private static void chart(List<Chart> out, Path dir, String name, String title, String unit, List<ResultRow> rows,
            Function<ResultRow, Double> value) throws IOException {
        Map<String, XYSeries> series = new LinkedHashMap<>();
        for (ResultRow r : rows) {
            Double v = value.apply(r);
            if (v != null && Double.isFinite(v)) {
                series.computeIfAbsent(r.series(), k -> new XYSeries(k, true, true)).addOrUpdate((double) r.depth(), v.doubleValue());
            }
        }
        if (series.isEmpty()) {
            return;
        }
        XYSeriesCollection data = new XYSeriesCollection();
        series.values().forEach(data::addSeries);
        JFreeChart chart = ChartFactory.createXYLineChart(title, "chain depth (snapshot layers)", unit, data,
                PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        if (rows.stream().mapToInt(ResultRow::depth).max().orElse(1) > 10 && rows.stream().allMatch(r -> r.depth() >= 1)) {
            LogAxis depth = new LogAxis("chain depth (snapshot layers, log scale)");
            depth.setBase(2);
            depth.setSmallestValue(1);
            depth.setTickUnit(new NumberTickUnit(1));
            depth.setNumberFormatOverride(new DecimalFormat("0"));
            plot.setDomainAxis(depth);
        }
        plot.getRenderer().setDefaultToolTipGenerator(null);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            ((org.jfree.chart.renderer.xy.XYLineAndShapeRenderer) plot.getRenderer()).setSeriesShapesVisible(i, true);
        }
        ChartUtils.saveChartAsPNG(dir.resolve(name + ".png").toFile(), chart, WIDTH, HEIGHT);
        writeSvg(chart, dir.resolve(name + ".svg"));
        out.add(new Chart(title, name));
    }

    private static void writeSvg(JFreeChart chart, Path file) throws IOException {
        Document doc;
        try {
            doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().newDocument();
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the JDK cannot make an XML document", e);
        }
        SVGGraphics2D svg = new SVGGraphics2D(doc);
        svg.setSVGCanvasSize(new Dimension(WIDTH, HEIGHT));
        chart.draw(svg, new Rectangle2D.Double(0, 0, WIDTH, HEIGHT));
        try (Writer w = new OutputStreamWriter(Files.newOutputStream(file), StandardCharsets.UTF_8)) {
            svg.stream(w, true);
        } finally {
            svg.dispose();
        }
    }
}
