package io.amiforge.cli.common;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The one progress reporter of the command line, for every command that can run longer than a
 * second. How it shows is decided once, by {@link Mode#of}: on a terminal, a bar on stderr
 * redrawn in place; in a pipe, when progress was asked for ({@code -p}), one plain line per
 * tenth of the work and no carriage return; otherwise nothing. JSON output never gets a bar.
 *
 * <p>Positions are bytes (or the unit given), moved with {@link #stepTo} (absolute) or
 * {@link #add} (relative); both are safe from several threads. A total of 0 or less means
 * unknown: the bar then shows only elapsed time and plain mode prints only the end line.
 */
public final class Progress implements LongConsumer, AutoCloseable {

    /** How progress shows. */
    public enum Mode {
        /** A bar redrawn in place on the terminal's stderr. */
        BAR,
        /** Plain lines on stderr: one per tenth of the work and one at the end. */
        LINES,
        /** Nothing. */
        OFF;

        /**
         * The mode for a command: a bar when stderr is a terminal and the output is not JSON
         * (and, for commands that show progress only on request, when {@code requested});
         * plain lines in a pipe when {@code requested}; else nothing.
         */
        public static Mode of(boolean requested, boolean byDefault, boolean json, boolean terminal) {
            if (terminal && !json && (requested || byDefault)) {
                return BAR;
            }
            return requested && !terminal ? LINES : OFF;
        }
    }

    private final Mode mode;
    private final String task;
    private final long total;
    private final String unit;
    private final long unitSize;
    private final PrintWriter lines;
    private final ProgressBar bar;
    private final AtomicLong position = new AtomicLong();
    private final AtomicLong printedTenth = new AtomicLong();

    private Progress(Mode mode, String task, long total, String unit, long unitSize, PrintWriter lines) {
        this.mode = mode;
        this.task = task;
        this.total = total;
        this.unit = unit;
        this.unitSize = unitSize;
        this.lines = lines;
        this.bar = mode != Mode.BAR ? null : new ProgressBarBuilder().setTaskName(task).setInitialMax(total > 0 ? total : -1)
                .setStyle(ProgressBarStyle.ASCII).setUnit(unit, unitSize).setUpdateIntervalMillis(200).showSpeed()
                .setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
    }

    /** Progress of {@code task} over {@code totalBytes} bytes (0 or less: unknown), shown as {@code mode} says; plain lines go to {@code err}. */
    public static Progress start(Mode mode, String task, long totalBytes, PrintWriter err) {
        return new Progress(mode, task, totalBytes, "MiB", 1 << 20, err);
    }

    /** How this progress shows. */
    public Mode mode() {
        return mode;
    }

    /** Moves to {@code newPosition} (never backwards). */
    public void stepTo(long newPosition) {
        long now = position.accumulateAndGet(newPosition, Math::max);
        moved(now);
    }

    /** Moves forward by {@code amount}. */
    public void add(long amount) {
        moved(position.addAndGet(amount));
    }

    /** Same as {@link #stepTo}: lets a library report absolute positions through a {@link LongConsumer}. */
    @Override
    public void accept(long newPosition) {
        stepTo(newPosition);
    }

    private void moved(long now) {
        switch (mode) {
            case BAR -> bar.stepTo(now);
            case LINES -> {
                if (total > 0) {
                    long tenth = Math.min(10, now * 10 / total);
                    long before = printedTenth.get();
                    if (tenth > before && tenth < 10 && printedTenth.compareAndSet(before, tenth)) {
                        line(Math.min(99, now * 100 / total) + "%");
                    }
                }
            }
            case OFF -> { }
        }
    }

    private void line(String what) {
        synchronized (lines) {
            lines.println("amiforge: " + task.strip() + ": " + what + " (" + amount(position.get()) + (total > 0 ? " of " + amount(total) : "") + ")");
            lines.flush();
        }
    }

    private String amount(long units) {
        return unitSize == 1 ? Long.toString(units) : String.format(Locale.ROOT, "%.1f %s", (double) units / unitSize, unit);
    }

    /** Finishes: the bar is completed and its line ended; plain mode prints the end line. */
    @Override
    public void close() {
        switch (mode) {
            case BAR -> bar.close();
            case LINES -> line("done");
            case OFF -> { }
        }
    }
}
