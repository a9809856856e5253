package io.amiforge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.cli.CliRunner.Run;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A command line that cannot run is a usage error: exit 2, EC2's code for what is wrong, and a hint where the help is. */
class UsageErrorsTest {

    @TempDir
    Path dir;

    @Test
    void aMissingParameterIsNamedWithTheCommandsHelp() {
        Run run = CliRunner.run("--store", dir.toString(), "volume", "create");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err().lines().toList()).containsExactly(
                "amiforge: MissingParameter: Missing required parameter: 'NAME'",
                "amiforge: see 'amiforge volume create --help'");
    }

    @Test
    void anUnknownCommandSuggestsTheNearestOne() {
        Run run = CliRunner.run("image", "convrt", "a", "b");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).startsWith("amiforge: UnknownParameter: ").contains("did you mean convert")
                .contains("amiforge: see 'amiforge image --help'");
    }

    @Test
    void aBadValueNamesTheOptionAndShowsExamples() {
        Run run = CliRunner.run("image", "build", dir.toString(), dir.resolve("x.raw").toString(), "--size", "lots");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).startsWith("amiforge: InvalidParameterValue: Invalid value for option '--size': 'lots' is not a size")
                .doesNotContain("Exception").contains("see 'amiforge image build --help'");
    }

    @Test
    void aUsageErrorFoundWhileRunningAlsoGetsTheHint() {
        Run run = CliRunner.run("boot", dir.resolve("disk.raw").toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err().lines().toList()).containsExactly(
                "amiforge: MissingParameter: missing --virtualization hvm|pv (example: amiforge boot disk.raw --virtualization hvm)",
                "amiforge: see 'amiforge boot --help'");
    }

    @Test
    void withJsonTheErrorIsOnStdoutToo() {
        Run run = CliRunner.run("--json", "volume", "create");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.out()).contains("\"code\" : \"MissingParameter\"");
        Run output = CliRunner.run("image", "info", "--output=json");
        assertThat(output.exitCode()).isEqualTo(2);
        assertThat(output.out()).contains("\"code\" : \"MissingParameter\"");
    }

    @Test
    void oldSpellingsStillWork() {
        Run mode = CliRunner.run("boot", dir.resolve("missing.raw").toString(), "--mode", "hvm");
        assertThat(mode.exitCode()).as(mode.err()).isEqualTo(4); // parsed; the file is what is missing
        Run bad = CliRunner.run("boot", dir.resolve("missing.raw").toString(), "--mode", "xen");
        assertThat(bad.err()).contains("--virtualization must be hvm or pv, was 'xen'");
    }
}
