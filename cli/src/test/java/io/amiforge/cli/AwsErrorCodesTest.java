package io.amiforge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.amiforge.cli.common.Json;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ids the commands take get EC2's error codes: a malformed one {@code Invalid...ID.Malformed}
 * (exit 2, like any other bad argument), a well-formed one that names nothing the NotFound
 * sibling EC2 answers (exit 4), on stderr and in the {@code --json} error document alike.
 */
class AwsErrorCodesTest {

    @TempDir
    Path dir;

    /** One command line and the code it must fail with. */
    private record Case(String code, int exit, String... args) {
    }

    private static final List<Case> CASES = List.of(
            new Case("InvalidAMIID.Malformed", 2, "ami", "describe", "--image-id", "ami-12345"),
            new Case("InvalidAMIID.Malformed", 2, "ami", "deregister", "web"),
            new Case("InvalidAMIID.Malformed", 2, "ami", "copy", "ami-0123456789ABCDEF0", "--to-region", "us-west-2"),
            new Case("InvalidAMIID.Malformed", 2, "ami", "launch-permission", "ami-xyz", "--add", "all"),
            new Case("InvalidAMIID.Malformed", 2, "ami", "reset-launch-permission", "snap-0123456789abcdef0"),
            new Case("InvalidAMIID.Malformed", 2, "instance", "run", "ami-", "--type", "t3.micro"),
            new Case("InvalidSnapshotID.Malformed", 2, "ami", "register", "--name", "n", "--root-snapshot", "snap-1",
                    "--virtualization", "hvm"),
            new Case("InvalidSnapshotID.Malformed", 2, "snapshot", "delete", "snapshot-1"),
            new Case("InvalidSnapshotID.Malformed", 2, "snapshot", "list", "snap-0123456789abcdef0", "snap-g123456789abcdef0"),
            new Case("InvalidSnapshotID.Malformed", 2, "snapshot", "permission", "snap-01", "--add", "all"),
            new Case("InvalidSnapshotID.Malformed", 2, "snapshot", "diff", "snap-0123456789abcdef0", "snap-2"),
            new Case("InvalidSnapshotID.Malformed", 2, "volume", "clone", "snap-2", "copy"),
            new Case("InvalidSnapshotID.Malformed", 2, "volume", "rollback", "web", "snap-2"),
            new Case("InvalidSnapshotID.Malformed", 2, "volume", "export", "snap-2", "out.raw"),
            new Case("InvalidInstanceID.Malformed", 2, "instance", "describe", "i-1"),
            new Case("InvalidInstanceID.Malformed", 2, "instance", "stop", "instance-1"),
            new Case("InvalidInstanceID.Malformed", 2, "instance", "start", "i-0123456789abcdef"),
            new Case("InvalidInstanceID.Malformed", 2, "instance", "reboot", "i-"),
            new Case("InvalidInstanceID.Malformed", 2, "instance", "terminate", "ami-0123456789abcdef0"),
            new Case("InvalidInstanceID.Malformed", 2, "instance", "console", "i-0123456789abcdef00"),
            new Case("InvalidInstanceID.Malformed", 2, "instance", "screenshot", "x", "--out", "s.png"),
            new Case("InvalidInstanceID.Malformed", 2, "ami", "create-image", "i-zz", "--name", "n"),
            new Case("InvalidAMIID.NotFound", 4, "ami", "describe", "--image-id", "ami-0123456789abcdef0"),
            new Case("InvalidAMIID.NotFound", 4, "ami", "deregister", "ami-01234567"),
            new Case("InvalidAMIID.NotFound", 4, "instance", "run", "ami-0123456789abcdef0", "--type", "t3.micro"),
            new Case("InvalidInstanceID.NotFound", 4, "instance", "describe", "i-0123456789abcdef0"),
            new Case("InvalidInstanceID.NotFound", 4, "instance", "terminate", "i-0123456789abcdef0"),
            new Case("InvalidSnapshot.NotFound", 4, "snapshot", "list", "snap-0123456789abcdef0"),
            new Case("InvalidSnapshot.NotFound", 4, "snapshot", "delete", "snap-0123456789abcdef0"),
            new Case("InvalidSnapshot.NotFound", 4, "volume", "clone", "snap-0123456789abcdef0", "copy"));

    @Test
    void malformedIdsAreMalformedAndUnknownOnesNotFoundInTextAndJson() throws Exception {
        SoftAssertions soft = new SoftAssertions();
        for (Case c : CASES) {
            List<String> line = new ArrayList<>(List.of(c.args()));
            line.addAll(List.of("--store", dir.resolve("store").toString()));
            String shown = String.join(" ", c.args());
            CliRunner.Run text = CliRunner.run(line.toArray(String[]::new));
            soft.assertThat(text.exitCode()).as("%s: exit (stderr %s)", shown, text.err()).isEqualTo(c.exit());
            soft.assertThat(text.err()).as(shown).startsWith("amiforge: " + c.code() + ": ");
            line.add("--json");
            CliRunner.Run json = CliRunner.run(line.toArray(String[]::new));
            soft.assertThat(json.exitCode()).as("%s --json: exit", shown).isEqualTo(c.exit());
            JsonNode error = Json.MAPPER.readTree(json.out()).path("error");
            soft.assertThat(error.path("code").asText()).as("%s --json: %s", shown, json.out()).isEqualTo(c.code());
            if (c.exit() == 2) {
                soft.assertThat(error.path("message").asText()).as(shown).contains("8 or 17 hexadecimal digits");
            }
        }
        soft.assertAll();
    }
}
