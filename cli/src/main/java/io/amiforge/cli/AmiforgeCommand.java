package io.amiforge.cli;

import io.amiforge.cli.common.GlobalOptions;
import io.amiforge.cli.common.RootCommand;
import io.amiforge.cli.image.ImageCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** The root {@code amiforge} command: holds the global options; every command is a subcommand. */
@Command(name = "amiforge", mixinStandardHelpOptions = true, version = "amiforge 0.1.0",
        description = "Builds machine images and emulates how a cloud boots them.",
        subcommands = {
                io.amiforge.cli.demo.DemoCommand.class,
                io.amiforge.cli.cloud.AmiCommand.class,
                io.amiforge.cli.cloud.InstanceCommand.class,
                io.amiforge.cli.boot.BootCommand.class,
                ImageCommand.class,
                io.amiforge.cli.nbd.NbdCommand.class,
                io.amiforge.cli.store.VolumeCommand.class,
                io.amiforge.cli.store.SnapshotCommand.class,
                io.amiforge.cli.store.StoreCommand.class,
                io.amiforge.cli.fs.FsCommand.class,
        })
public final class AmiforgeCommand implements RootCommand {

    @Mixin
    GlobalOptions global;

    @Override
    public GlobalOptions globalOptions() {
        return global;
    }
}
