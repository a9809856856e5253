package io.amiforge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@link Main#run} builds only the branch of the command tree a command line names (for start-up
 * time); every command line must still give exactly what the full tree gives.
 */
class LazyCommandTreeTest {

    @TempDir
    Path store;

    record Run(int exit, String out, String err) {
    }

    private static Run run(CommandLine cli, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return new Run(cli.execute(args), out.toString(), err.toString());
    }

    @Test
    void buildsOnlyTheNamedTopLevelCommandAfterGlobalOptions() {
        String dir = store.toString();
        assertThat(Main.newCommandLine("--store", dir, "--json", "snapshot", "list").getSubcommands().keySet())
                .containsExactly("snapshot");
        assertThat(Main.newCommandLine("--store=" + dir, "--region", "volume", "volume", "list").getSubcommands().keySet())
                .as("an option's value that looks like a command is skipped").containsExactly("volume");
        assertThat(Main.newCommandLine("--help", "volume").getSubcommands()).hasSize(AmiforgeCommand.COMMANDS.size());
        assertThat(Main.newCommandLine("volum").getSubcommands()).hasSize(AmiforgeCommand.COMMANDS.size());
        assertThat(Main.newCommandLine("--bogus", "volume").getSubcommands()).hasSize(AmiforgeCommand.COMMANDS.size());
        assertThat(Main.newCommandLine().getSubcommands()).hasSize(AmiforgeCommand.COMMANDS.size());
    }

    @Test
    void givesWhatTheFullTreeGives() {
        String dir = store.toString();
        List<String[]> lines = List.of(
                new String[] {"--help"},
                new String[] {"--version"},
                new String[] {},
                new String[] {"volum"},
                new String[] {"--store", dir, "--help", "volume"},
                new String[] {"--store", dir, "volume"},
                new String[] {"--store", dir, "volume", "bogus"},
                new String[] {"--store", dir, "--json", "volume", "list"},
                new String[] {"--store", dir, "snapshot", "create"},
                new String[] {"--store", dir, "--json", "snapshot", "create", "no-such-volume"},
                new String[] {"--store", dir, "--account", "12345", "snapshot", "list"},
                new String[] {"--region", "volume", "--store", dir, "volume", "list"},
                new String[] {"--store"},
                new String[] {"snapshot", "--help"},
                new String[] {"image", "info", "--help"});
        for (String[] args : lines) {
            Run lazy = run(Main.newCommandLine(args), args);
            Run full = run(Main.newCommandLine(), args);
            assertThat(lazy).as("amiforge %s", String.join(" ", args)).isEqualTo(full);
        }
    }
}
