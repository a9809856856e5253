package io.amiforge.cli.reference;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** The parts of the picocli model every reference is written from: the commands in order, and what each one documents. */
final class CommandTree {

    private CommandTree() {
    }

    /** {@code root} and every command below it, depth first, in the order help lists them (aliases once). */
    static List<CommandLine> commands(CommandLine root) {
        List<CommandLine> all = new ArrayList<>();
        collect(root, all);
        return all;
    }

    private static void collect(CommandLine command, List<CommandLine> all) {
        all.add(command);
        command.getSubcommands().values().stream().distinct().forEach(sub -> collect(sub, all));
    }

    /** The options a command documents itself: not hidden, and not inherited from a parent (those are documented there). */
    static List<OptionSpec> options(CommandSpec spec) {
        return spec.options().stream().filter(o -> !o.hidden() && !o.inherited()).toList();
    }

    /** The positional parameters a command documents. */
    static List<CommandLine.Model.PositionalParamSpec> parameters(CommandSpec spec) {
        return spec.positionalParameters().stream().filter(p -> !p.hidden()).toList();
    }

    /** The description lines of an option or parameter, picocli's variables expanded, as help prints them. */
    static List<String> description(ArgSpec arg) {
        String candidates = arg.completionCandidates() == null ? ""
                : String.join(", ", arg.completionCandidates());
        return List.of(arg.description()).stream()
                .map(line -> line.replace("${DEFAULT-VALUE}", String.valueOf(arg.defaultValueString()))
                        .replace("${COMPLETION-CANDIDATES}", candidates))
                .map(CommandTree::unformat).toList();
    }

    /** The command's description lines, as help prints them. */
    static List<String> description(CommandSpec spec) {
        return List.of(spec.usageMessage().description()).stream().map(CommandTree::unformat).toList();
    }

    /** Help text is a format string: {@code %%} is a percent sign and {@code %n} a line break (a space here). */
    private static String unformat(String text) {
        return text.replace("%n", " ").replace("%%", "%");
    }

    /** The one-line synopsis picocli prints after "Usage:", without colours. */
    static String synopsis(CommandSpec spec) {
        CommandLine.Help help = new CommandLine.Help(spec, CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
        return help.synopsis(0).replaceAll("\\s+", " ").strip();
    }

    /** How an option is written with its argument: {@code -O, --format=FMT}. */
    static String label(OptionSpec option) {
        String names = String.join(", ", option.names());
        return option.typeInfo().isBoolean() || option.arity().max() == 0 ? names : names + "=" + option.paramLabel();
    }
}
