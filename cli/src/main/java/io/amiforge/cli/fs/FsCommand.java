package io.amiforge.cli.fs;

import picocli.CommandLine.Command;

/**
 * {@code amiforge fs}: reads files out of ext2/3/4 filesystems in disk images of any format the
 * image-format SPI knows (raw, qcow2 with its backing chain).
 */
@Command(name = "fs", mixinStandardHelpOptions = true, description = "Read files from an ext2/3/4 filesystem in a disk image.",
        subcommands = {FsLsCommand.class, FsCatCommand.class})
public final class FsCommand {
}
