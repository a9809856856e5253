package io.amiforge.cli.common;

import picocli.CommandLine.Option;

/**
 * {@code -p/--progress}, as {@code qemu-img -p}: show progress even where the command would
 * not by default, as plain lines when stderr is not a terminal. A picocli mixin; see
 * {@link Progress}.
 */
public final class ProgressOptions {

    @Option(names = {"-p", "--progress"},
            description = "Show progress on stderr: a bar on a terminal, a plain line per 10%% in a pipe."
                    + " Example: image convert -p -O qcow2 disk.raw disk.qcow2")
    boolean progress;

    /** Whether -p was given. */
    public boolean requested() {
        return progress;
    }
}
