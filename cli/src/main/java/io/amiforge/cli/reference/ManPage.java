package io.amiforge.cli.reference;

import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * One command's man page (roff, man macros, section 1), written from the picocli model: NAME,
 * SYNOPSIS, DESCRIPTION, ARGUMENTS, OPTIONS (the command's own, then those it inherits), and
 * SEE ALSO its parent and subcommands. The page of {@code amiforge image convert} is
 * {@code amiforge-image-convert.1}.
 */
public final class ManPage {

    private ManPage() {
    }

    /** The file name of {@code spec}'s page: its qualified name with dashes, section 1. */
    public static String fileName(CommandSpec spec) {
        return pageName(spec) + ".1";
    }

    private static String pageName(CommandSpec spec) {
        return spec.qualifiedName("-");
    }

    /** The page of {@code spec}, for amiforge {@code version} (no date: the same model gives the same page). */
    public static String render(CommandSpec spec, String version) {
        StringBuilder out = new StringBuilder();
        List<String> description = CommandTree.description(spec);
        out.append(".TH \"").append(pageName(spec).toUpperCase(Locale.ROOT)).append("\" \"1\" \"\" \"")
                .append(escape(version)).append("\" \"amiforge manual\"\n");
        out.append(".SH NAME\n").append(escape(pageName(spec))).append(" \\- ")
                .append(escape(description.isEmpty() ? "" : description.getFirst())).append('\n');
        out.append(".SH SYNOPSIS\n.nf\n").append(escape(CommandTree.synopsis(spec))).append("\n.fi\n");
        if (description.size() > 1) {
            out.append(".SH DESCRIPTION\n");
            for (String line : description.subList(1, description.size())) {
                out.append(".PP\n").append(escape(line)).append('\n');
            }
        }
        List<PositionalParamSpec> parameters = CommandTree.parameters(spec);
        if (!parameters.isEmpty()) {
            out.append(".SH ARGUMENTS\n");
            for (PositionalParamSpec p : parameters) {
                item("\\fI" + escape(p.paramLabel()) + "\\fR", CommandTree.description(p), out);
            }
        }
        List<OptionSpec> own = spec.options().stream().filter(o -> !o.hidden() && !o.inherited()).toList();
        List<OptionSpec> inherited = spec.options().stream().filter(o -> !o.hidden() && o.inherited()).toList();
        if (!own.isEmpty()) {
            out.append(".SH OPTIONS\n");
            own.forEach(o -> option(o, out));
        }
        if (!inherited.isEmpty()) {
            out.append(".SH GLOBAL OPTIONS\n");
            inherited.forEach(o -> option(o, out));
        }
        out.append(".SH SEE ALSO\n");
        StringBuilder see = new StringBuilder();
        if (spec.parent() != null) {
            see.append("\\fB").append(escape(pageName(spec.parent()))).append("\\fR(1)");
        }
        spec.subcommands().values().stream().distinct().forEach(sub -> see.append(see.isEmpty() ? "" : ", ")
                .append("\\fB").append(escape(pageName(sub.getCommandSpec()))).append("\\fR(1)"));
        out.append(see.isEmpty() ? "amiforge documentation: docs/cli.md" : see).append('\n');
        return out.toString();
    }

    private static void option(OptionSpec o, StringBuilder out) {
        StringBuilder label = new StringBuilder();
        for (String name : o.names()) {
            label.append(label.isEmpty() ? "" : ", ").append("\\fB").append(escape(name)).append("\\fR");
        }
        if (!(o.typeInfo().isBoolean() || o.arity().max() == 0)) {
            label.append(" \\fI").append(escape(o.paramLabel())).append("\\fR");
        }
        item(label.toString(), CommandTree.description(o), out);
    }

    private static void item(String label, List<String> lines, StringBuilder out) {
        out.append(".TP\n").append(label).append('\n');
        for (int i = 0; i < lines.size(); i++) {
            out.append(i == 0 ? "" : ".br\n").append(escape(lines.get(i))).append('\n');
        }
    }

    /** Text made safe for roff: backslashes and dashes escaped, no line starting with a control character. */
    static String escape(String text) {
        String escaped = text.replace("\\", "\\e").replace("-", "\\-");
        return escaped.startsWith(".") || escaped.startsWith("'") ? "\\&" + escaped : escaped;
    }
}
