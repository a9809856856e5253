package io.amiforge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.cli.common.Json;
import io.amiforge.cli.common.Size;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command-line contract: exit codes, the one-line error, JSON errors, sizes, global options. */
class CliContractTest {

    @TempDir
    Path store;

    @Test
    void unknownOptionIsAUsageErrorOnOneLine() {
        CliRunner.Run run = CliRunner.run("--bogus");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).startsWith("amiforge: UnknownParameter: Unknown option: '--bogus'\namiforge: see 'amiforge --help'");
    }

    @Test
    void jsonErrorsGoToStdout() throws Exception {
        CliRunner.Run run = CliRunner.run("--store", store.toString(), "ami", "describe", "--image-id",
                "ami-0123456789abcdef0", "--json");
        assertThat(run.exitCode()).isEqualTo(4);
        JsonNode error = Json.MAPPER.readTree(run.out()).get("error");
        assertThat(error.get("code").asText()).isEqualTo("InvalidAMIID.NotFound");
        assertThat(error.get("message").asText()).contains("ami-0123456789abcdef0");
        assertThat(run.err()).startsWith("amiforge: InvalidAMIID.NotFound: ");
    }

    @Test
    void globalOptionsWorkBeforeAndAfterTheCommand() {
        CliRunner.Run before = CliRunner.run("--store", store.toString(), "--account", "12345", "ami", "describe");
        CliRunner.Run after = CliRunner.run("ami", "describe", "--store", store.toString(), "--account", "12345");
        assertThat(before.exitCode()).isEqualTo(2);
        assertThat(after.exitCode()).isEqualTo(2);
        assertThat(before.err()).contains("account '12345' is not 12 digits");
        assertThat(after.err()).isEqualTo(before.err());
        CliRunner.Run region = CliRunner.run("ami", "describe", "--store", store.toString(), "--region", "mars-north-9");
        assertThat(region.exitCode()).isEqualTo(2);
        assertThat(region.err()).contains("unknown region 'mars-north-9'");
    }

    @Test
    void everyCommandAnswersHelp() {
        java.util.List<String> paths = new java.util.ArrayList<>();
        collect(Main.newCommandLine(), new java.util.ArrayList<>(), paths);
        assertThat(paths).hasSizeGreaterThan(30).contains("volume create", "ami bundle", "instance run", "image build");
        for (String path : paths) {
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of(path.split(" ")));
            args.add("--help");
            CliRunner.Run run = CliRunner.run(args.toArray(String[]::new));
            assertThat(run.exitCode()).as(path + " --help: " + run.err()).isZero();
            assertThat(run.out()).as(path).startsWith("Usage: amiforge " + path);
        }
    }

    private static void collect(picocli.CommandLine command, java.util.List<String> prefix, java.util.List<String> out) {
        command.getSubcommands().forEach((name, sub) -> {
            java.util.List<String> path = new java.util.ArrayList<>(prefix);
            path.add(name);
            out.add(String.join(" ", path));
            collect(sub, path, out);
        });
    }

    @Test
    void sizesAcceptSuffixes() {
        assertThat(Size.parse("512").bytes()).isEqualTo(512);
        assertThat(Size.parse("4K").bytes()).isEqualTo(4096);
        assertThat(Size.parse("64M").bytes()).isEqualTo(64L << 20);
        assertThat(Size.parse("1G").bytes()).isEqualTo(1L << 30);
        assertThat(Size.parse("2t").bytes()).isEqualTo(2L << 40);
        for (String bad : new String[]{"", "K", "-1", "1X", "99999999999999999999", "9000000P"}) {
            assertThatThrownBy(() -> Size.parse(bad)).isInstanceOf(AmiforgeException.class)
                    .hasMessageContaining("is not a size");
        }
    }
}
