package io.amiforge.cli;

import io.amiforge.blockdev.AmiforgeException;
import java.io.PrintWriter;
import picocli.CommandLine;

/** Entry point of the {@code amiforge} command: runs one command and exits with its code. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        Shutdown.install(System.err);
        System.exit(run(args));
    }

    /** Runs one command line in this process and returns the exit code (for tests and embedding). */
    public static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = newCommandLine();
        cli.setOut(out);
        cli.setErr(err);
        try {
            return cli.execute(args);
        } catch (Error e) {
            return Errors.fatal(e, Errors.jsonRequested(args), out, err);
        }
    }

    /** The full command tree with amiforge's error handling, exit codes and converters. */
    public static CommandLine newCommandLine() {
        CommandLine cli = new CommandLine(new AmiforgeCommand());
        cli.registerConverter(Size.class, Size::parse);
        cli.setExecutionExceptionHandler(Main::handleExecutionException);
        cli.setParameterExceptionHandler(Main::handleParameterException);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        addHelpOptions(cli);
        return cli;
    }

    /** Every command, group or leaf, answers {@code --help} (and {@code --version}). */
    private static void addHelpOptions(CommandLine command) {
        command.getCommandSpec().mixinStandardHelpOptions(true);
        command.getSubcommands().values().forEach(Main::addHelpOptions);
    }

    private static int handleParameterException(CommandLine.ParameterException e, String[] args) {
        CommandLine cli = e.getCommandLine();
        if (Errors.jsonRequested(args)) {
            Errors.printJson(cli.getOut(), "InvalidParameterValue", e.getMessage());
        }
        cli.getErr().println("amiforge: InvalidParameterValue: " + e.getMessage());
        cli.getErr().println("amiforge: see '" + cli.getCommandSpec().qualifiedName() + " --help'");
        return Errors.exitCode(AmiforgeException.Kind.USAGE);
    }

    private static int handleExecutionException(Exception e, CommandLine cli, CommandLine.ParseResult parse) {
        boolean json = Errors.jsonRequested(parse.originalArgs().toArray(String[]::new));
        return Errors.report(e, json, cli.getOut(), cli.getErr());
    }
}
