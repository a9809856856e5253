package io.amiforge.cli.reference;

import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * The command-line reference as Markdown ({@code docs/cli.md}), written from the picocli model:
 * one section per command with its description, synopsis, parameters and options. Options a
 * parent passes down (the global ones) are listed once, under the root.
 */
public final class MarkdownReference {

    private MarkdownReference() {
    }

    /** The reference of {@code root} and every command below it. */
    public static String render(CommandLine root) {
        StringBuilder out = new StringBuilder();
        out.append("# amiforge command-line reference\n\n")
                .append("Generated from the command definitions by `amiforge man --markdown` (do not edit by hand: ")
                .append("`CliReferenceTest` fails when this file is stale). Every command also answers `--help`; ")
                .append("`amiforge man COMMAND...` prints its man page and `amiforge completion` the bash/zsh completion script.\n");
        for (CommandLine command : CommandTree.commands(root)) {
            section(command.getCommandSpec(), out);
        }
        return out.toString();
    }

    private static void section(CommandSpec spec, StringBuilder out) {
        out.append("\n## ").append(spec.qualifiedName()).append("\n\n");
        for (String line : CommandTree.description(spec)) {
            out.append(escape(line)).append("\n\n");
        }
        out.append("```\n").append(CommandTree.synopsis(spec)).append("\n```\n");
        List<PositionalParamSpec> parameters = CommandTree.parameters(spec);
        if (!parameters.isEmpty()) {
            out.append("\n| parameter | description |\n| --- | --- |\n");
            for (PositionalParamSpec p : parameters) {
                out.append("| `").append(p.paramLabel()).append("` | ").append(cell(CommandTree.description(p))).append(" |\n");
            }
        }
        List<OptionSpec> options = CommandTree.options(spec).stream().filter(o -> !o.usageHelp() && !o.versionHelp()).toList();
        if (!options.isEmpty()) {
            out.append("\n| option | description |\n| --- | --- |\n");
            for (OptionSpec o : options) {
                out.append("| `").append(CommandTree.label(o)).append("` | ").append(cell(CommandTree.description(o))).append(" |\n");
            }
        }
        if (!spec.subcommands().isEmpty()) {
            out.append("\nCommands: ").append(String.join(", ", spec.subcommands().values().stream().distinct()
                    .map(c -> "`" + c.getCommandName() + "`").toList())).append(".\n");
        }
    }

    private static String cell(List<String> lines) {
        return escape(String.join(" ", lines)).replace("|", "\\|");
    }

    private static String escape(String text) {
        return text.replace("<", "&lt;").replace(">", "&gt;");
    }
}
