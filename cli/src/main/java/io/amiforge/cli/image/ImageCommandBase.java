package io.amiforge.cli.image;

import io.amiforge.cli.common.CommandBase;
import io.amiforge.cli.common.ImageOptions;
import io.amiforge.cli.common.ProgressOptions;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Base of the image commands, with qemu-img's common options: {@code -f FMT} and
 * {@code --backing-dir} ({@link ImageOptions}), {@code -p} ({@link ProgressOptions}) and
 * {@code --output=human|json} (the same as the global {@code --json} when json).
 */
abstract class ImageCommandBase extends CommandBase {

    /** qemu-img's output formats. */
    enum Output { HUMAN, JSON }

    @Mixin
    ImageOptions imageOptions = new ImageOptions();

    @Mixin
    ProgressOptions progressOptions = new ProgressOptions();

    @Option(names = "--output", paramLabel = "human|json", defaultValue = "HUMAN",
            description = "Output format, as qemu-img's --output (json is the same as --json). Example: --output=json")
    Output output;

    @Override
    protected final boolean json() {
        return output == Output.JSON || super.json();
    }
}
