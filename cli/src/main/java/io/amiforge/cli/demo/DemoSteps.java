package io.amiforge.cli.demo;

import java.io.PrintWriter;

/** How the demo talks: numbered step headings and indented detail on stdout, progress through the command line's one reporter (cli.common.Progress). */
final class DemoSteps {

    private final PrintWriter out;
    private final int total;
    private final long started = System.nanoTime();
    private int step;

    DemoSteps(PrintWriter out, int total) {
        this.out = out;
        this.total = total;
    }

    void step(String title) {
        step++;
        out.printf("%n[%d/%d] %s   (%.1f s)%n", step, total, title, (System.nanoTime() - started) / 1e9);
        out.flush();
    }

    void say(String format, Object... args) {
        out.println("      " + format.formatted(args));
        out.flush();
    }

    /** Prints {@code text} indented, each line prefixed with {@code prefix}. */
    void block(String prefix, String text) {
        for (String line : text.strip().split("\n")) {
            out.println("      " + prefix + line.stripTrailing());
        }
        out.flush();
    }

    double seconds() {
        return (System.nanoTime() - started) / 1e9;
    }
}
