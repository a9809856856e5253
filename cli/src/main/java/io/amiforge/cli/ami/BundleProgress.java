package io.amiforge.cli.ami;

import java.util.function.LongConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/** A progress bar on stderr for bundle and unbundle, only when a terminal is attached and not in JSON mode. */
final class BundleProgress implements AutoCloseable {

    private final ProgressBar bar;

    BundleProgress(String task, long bytes, boolean json) {
        bar = json || System.console() == null ? null
                : new ProgressBarBuilder().setTaskName(task).setInitialMax(bytes).setUnit("MiB", 1 << 20)
                        .showSpeed().build();
    }

    LongConsumer consumer() {
        return bar == null ? n -> { } : bar::stepTo;
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
