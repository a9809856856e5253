package io.amiforge.cli.demo;

import java.io.PrintWriter;
import java.util.function.LongConsumer;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** How the demo talks: numbered step headings and indented detail on stdout, progress bars on stderr. */
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

    /** A progress bar over {@code max} units named {@code task}; the consumer moves it to an absolute position. */
    static Progress progress(String task, long max, String unit, long unitSize) {
        ProgressBar bar = new ProgressBarBuilder().setTaskName("      " + task).setInitialMax(max)
                .setStyle(ProgressBarStyle.ASCII).setUnit(unit, unitSize).setUpdateIntervalMillis(100)
                .setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
        return new Progress(bar);
    }

    /** A running progress bar: {@link #accept} moves it; {@link #close} finishes it. */
    record Progress(ProgressBar bar) implements LongConsumer, AutoCloseable {
        @Override
        public void accept(long position) {
            bar.stepTo(position);
        }

        @Override
        public void close() {
            bar.close();
        }
    }
}
