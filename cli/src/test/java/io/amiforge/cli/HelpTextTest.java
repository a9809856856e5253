package io.amiforge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** Every command, option and positional parameter of the whole tree has help text with an example. */
class HelpTextTest {

    @Test
    void everyCommandOptionAndParameterHasADescriptionWithAnExample() {
        List<String> missing = new ArrayList<>();
        walk(Main.newCommandLine(), missing);
        assertThat(missing).as("commands, options and parameters without help text or without 'Example'").isEmpty();
    }

    private static void walk(CommandLine cli, List<String> missing) {
        CommandSpec spec = cli.getCommandSpec();
        String name = spec.qualifiedName();
        String description = String.join(" ", spec.usageMessage().description());
        if (description.isBlank()) {
            missing.add(name + ": no description");
        } else if (cli.getSubcommands().isEmpty() && !description.contains("Example")) {
            missing.add(name + ": no example");
        }
        for (ArgSpec arg : spec.args()) {
            if (arg.hidden() || arg instanceof OptionSpec o && (o.usageHelp() || o.versionHelp())) {
                continue;
            }
            String label = arg instanceof OptionSpec o ? o.longestName() : ((CommandLine.Model.PositionalParamSpec) arg).paramLabel();
            String text = String.join(" ", arg.description());
            if (text.isBlank()) {
                missing.add(name + " " + label + ": no description");
            } else if (!text.contains("Example")) {
                missing.add(name + " " + label + ": no example");
            }
        }
        cli.getSubcommands().values().stream().distinct().forEach(sub -> walk(sub, missing));
    }
}
