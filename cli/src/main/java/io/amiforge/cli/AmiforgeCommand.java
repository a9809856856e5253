package io.amiforge.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** The root {@code amiforge} command: holds the global options; every command is a subcommand. */
@Command(name = "amiforge", mixinStandardHelpOptions = true, version = "amiforge 0.1.0",
        description = "Builds machine images and emulates how a cloud boots them.",
        subcommands = {
                io.amiforge.cli.fs.FsCommand.class,
        })
public final class AmiforgeCommand {

    @Mixin
    GlobalOptions global;
}
