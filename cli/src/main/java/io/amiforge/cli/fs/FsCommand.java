package io.amiforge.cli.fs;

import io.amiforge.blockdev.BlockDevice;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Function;
import picocli.CommandLine.Command;

/**
 * {@code amiforge fs}: reads files out of ext2/3/4 filesystems in disk images. Images are opened
 * as raw files unless the integrator installs another opener with {@link #setImageOpener} (for
 * qcow2 and the other formats of the image-format SPI).
 */
@Command(name = "fs", mixinStandardHelpOptions = true, description = "Read files from an ext2/3/4 filesystem in a disk image.",
        subcommands = {FsLsCommand.class, FsCatCommand.class})
public final class FsCommand {

    /** Replaces how {@code fs} commands open IMAGE (read-only) as a device. */
    public static void setImageOpener(Function<Path, BlockDevice> opener) {
        FsImages.opener = Objects.requireNonNull(opener);
    }
}
