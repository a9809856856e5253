/**
 * The research bench: every registered write strategy and read index of the snapshot store over
 * chain depths and workloads, written as CSV, JSON, PNG and SVG charts and an HTML page; also
 * renders the same charts from JMH JSON results. Uses the store's public API and SPI registry only.
 */
@SuppressWarnings("requires-automatic") // JFreeChart and Batik ship no module-info, only Automatic-Module-Name
module io.amiforge.bench.sweep {
    requires transitive io.amiforge.store;
    requires java.desktop;
    requires java.xml;
    requires jdk.management;
    requires org.jfree.jfreechart;
    requires org.apache.xmlgraphics.batik.svggen;
    requires com.fasterxml.jackson.databind;

    exports io.amiforge.bench.sweep;
    opens io.amiforge.bench.sweep to com.fasterxml.jackson.databind;
}
