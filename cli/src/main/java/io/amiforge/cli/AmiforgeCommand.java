package io.amiforge.cli;

import io.amiforge.cli.common.GlobalOptions;
import io.amiforge.cli.common.RootCommand;
import io.amiforge.cli.image.ImageCommand;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * The root {@code amiforge} command: holds the global options; every command is a subcommand.
 * The subcommands are not listed in the annotation but in {@link #COMMANDS}, so that
 * {@link Main} can build only the branch a command line names (picocli builds every listed
 * subcommand, and all of theirs, eagerly: that was most of a one-shot command's time).
 */
@Command(name = "amiforge", mixinStandardHelpOptions = true, version = "amiforge 0.1.0",
        description = "Builds machine images and emulates how a cloud boots them.")
public final class AmiforgeCommand implements RootCommand {

    /** The top-level commands, in the order {@code --help} lists them. */
    static final List<Class<?>> COMMANDS = List.of(
            io.amiforge.cli.demo.DemoCommand.class,
            io.amiforge.cli.cloud.AmiCommand.class,
            io.amiforge.cli.cloud.InstanceCommand.class,
            io.amiforge.cli.boot.BootCommand.class,
            ImageCommand.class,
            io.amiforge.cli.nbd.NbdCommand.class,
            io.amiforge.cli.serve.ServeCommand.class,
            io.amiforge.cli.serve.AccountCommand.class,
            io.amiforge.cli.store.VolumeCommand.class,
            io.amiforge.cli.store.SnapshotCommand.class,
            io.amiforge.cli.store.StoreCommand.class,
            io.amiforge.cli.fs.FsCommand.class,
            io.amiforge.cli.reference.ManCommand.class,
            io.amiforge.cli.reference.CompletionCommand.class,
            io.amiforge.cli.bench.BenchCommand.class);

    @Mixin
    GlobalOptions global;

    @Override
    public GlobalOptions globalOptions() {
        return global;
    }
}
