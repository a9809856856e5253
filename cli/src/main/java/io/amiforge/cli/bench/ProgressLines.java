package io.amiforge.cli.bench;

import io.amiforge.bench.sweep.SweepProgress;
import java.io.PrintWriter;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * Sweep progress on stderr: a progress bar when a terminal is attached ({@link System#console()}),
 * otherwise one plain line per step (nothing at all with {@code quiet}).
 */
final class ProgressLines implements SweepProgress, AutoCloseable {

    private final PrintWriter err;
    private final boolean quiet;
    private ProgressBar bar;
    private long steps;
    private long done;

    ProgressLines(PrintWriter err, boolean quiet) {
        this.err = err;
        this.quiet = quiet;
    }

    @Override
    public void start(long total) {
        steps = total;
        if (!quiet && System.console() != null) {
            bar = new ProgressBarBuilder().setTaskName("bench sweep").setInitialMax(total).build();
        }
    }

    @Override
    public void step(String what) {
        done++;
        if (bar != null) {
            bar.setExtraMessage(what);
            bar.stepTo(done);
        } else if (!quiet) {
            err.println("bench " + done + "/" + steps + " " + what);
            err.flush();
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
