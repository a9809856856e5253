package io.amiforge.cli;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.cli.common.Shutdown;
import io.amiforge.cli.common.Size;
import io.amiforge.cli.common.WholeTree;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

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
        CommandLine cli = newCommandLine(args);
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
        return withSubcommands(new CommandLine(new AmiforgeCommand()), AmiforgeCommand.COMMANDS);
    }

    /**
     * The part of the command tree that {@code args} can reach: when only global options come
     * before a known top-level command, the root with that one command (and all of its
     * subcommands), unless that command describes the whole tree ({@link WholeTree}); otherwise (no command, {@code --help} or {@code --version} before it, an
     * unknown word or option) the full tree, so that help, suggestions and errors stay the
     * same. Picocli builds a tree eagerly and reflectively, and building all of it was most of
     * a one-shot command's start-up time.
     */
    static CommandLine newCommandLine(String... args) {
        CommandLine root = new CommandLine(new AmiforgeCommand());
        Class<?> named = commandNamed(root.getCommandSpec(), args);
        boolean whole = named == null || WholeTree.class.isAssignableFrom(named);
        return withSubcommands(root, whole ? AmiforgeCommand.COMMANDS : List.of(named));
    }

    private static CommandLine withSubcommands(CommandLine cli, List<Class<?>> commands) {
        for (Class<?> command : commands) {
            cli.addSubcommand(new CommandLine(command));
        }
        cli.registerConverter(Size.class, Main::size);
        cli.setExecutionExceptionHandler(Main::handleExecutionException);
        cli.setParameterExceptionHandler(Main::handleParameterException);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        addHelpOptions(cli);
        return cli;
    }

    /** A size argument; a bad one is reported by picocli with the option's name and the examples. */
    private static Size size(String text) {
        try {
            return Size.parse(text);
        } catch (AmiforgeException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }

    /** The top-level command {@code args} name after nothing but the root's global options, or null. */
    private static Class<?> commandNamed(CommandSpec root, String[] args) {
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("-")) {
                return topLevelCommand(arg);
            }
            int equals = arg.indexOf('=');
            OptionSpec option = root.findOption(equals < 0 ? arg : arg.substring(0, equals));
            if (option == null || option.usageHelp() || option.versionHelp()) {
                return null;
            }
            if (equals < 0 && option.arity().min() > 0) {
                i++; // the option's value, which may look like a command name
            }
        }
        return null;
    }

    private static Class<?> topLevelCommand(String name) {
        for (Class<?> command : AmiforgeCommand.COMMANDS) {
            Command annotation = command.getAnnotation(Command.class);
            if (annotation.name().equals(name) || List.of(annotation.aliases()).contains(name)) {
                return command;
            }
        }
        return null;
    }

    /** Every command, group or leaf, answers {@code --help} (and {@code --version}). */
    private static void addHelpOptions(CommandLine command) {
        command.getCommandSpec().mixinStandardHelpOptions(true);
        command.getSubcommands().values().forEach(Main::addHelpOptions);
    }

    private static int handleParameterException(CommandLine.ParameterException e, String[] args) {
        CommandLine cli = e.getCommandLine();
        String code = usageCode(e);
        String message = e.getMessage();
        if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
            message += " (did you mean " + String.join(" or ", u.getSuggestions().stream().limit(3).toList()) + "?)";
        }
        if (Errors.jsonRequested(args)) {
            Errors.printJson(cli.getOut(), code, message);
        }
        cli.getErr().println("amiforge: " + code + ": " + message);
        cli.getErr().println(hint(cli));
        return Errors.exitCode(AmiforgeException.Kind.USAGE);
    }

    /** EC2's code for a command line that does not parse: a missing, unknown or invalid parameter, or a bad combination. */
    static String usageCode(CommandLine.ParameterException e) {
        return switch (e) {
            case CommandLine.MissingParameterException m -> "MissingParameter";
            case CommandLine.UnmatchedArgumentException u -> "UnknownParameter";
            case CommandLine.MutuallyExclusiveArgsException x -> "InvalidParameterCombination";
            default -> "InvalidParameterValue";
        };
    }

    /** The second line of every usage error: where the command's help is. */
    private static String hint(CommandLine cli) {
        return "amiforge: see '" + cli.getCommandSpec().qualifiedName() + " --help'";
    }

    private static int handleExecutionException(Exception e, CommandLine cli, CommandLine.ParseResult parse) {
        boolean json = Errors.jsonRequested(parse.originalArgs().toArray(String[]::new));
        int exit = Errors.report(e, json, cli.getOut(), cli.getErr());
        if (exit == Errors.exitCode(AmiforgeException.Kind.USAGE)) {
            cli.getErr().println(hint(cli));
            cli.getErr().flush();
        }
        return exit;
    }
}
