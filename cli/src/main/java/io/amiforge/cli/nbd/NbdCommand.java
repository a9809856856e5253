package io.amiforge.cli.nbd;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The {@code amiforge nbd} group. */
@Command(name = "nbd", description = "Network Block Device server.", mixinStandardHelpOptions = true,
        subcommands = {NbdServeCommand.class})
public final class NbdCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand (serve)");
    }
}
