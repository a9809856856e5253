package io.amiforge.cli.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.amiforge.cli.CliRunner;
import io.amiforge.cli.common.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two accounts on one store through the command line: everything of the other one is "not found" (exit 4). */
class OwnershipCommandsTest {

    static final String ALICE = "111111111111";
    static final String BOB = "222222222222";
    static final String MALLORY = "999999999999";
    static final String MISSING_SNAPSHOT = "snap-0123456789abcdef0";

    @TempDir
    Path dir;

    String snapshot;

    private CliRunner.Run as(String account, String... args) {
        List<String> full = new ArrayList<>(List.of("--store", dir.resolve("state").toString(), "--account", account));
        full.addAll(Arrays.asList(args));
        return CliRunner.run(full.toArray(String[]::new));
    }

    private CliRunner.Run ok(String account, String... args) {
        CliRunner.Run run = as(account, args);
        assertThat(run.exitCode()).as(String.join(" ", args) + ": " + run.err()).isZero();
        return run;
    }

    private String read(String account, String volume) {
        Path file = dir.resolve(account + "-" + volume + ".bin");
        ok(account, "volume", "read", volume, "--offset", "0", "--length", "14", "-o", file.toString());
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @BeforeEach
    void alicesVolumeAndSnapshot() throws Exception {
        Path data = dir.resolve("secret.bin");
        Files.writeString(data, "alice's secret");
        ok(ALICE, "volume", "create", "secret", "--size", "1M");
        ok(ALICE, "volume", "write", "secret", "--offset", "0", "--input", data.toString());
        snapshot = ok(ALICE, "snapshot", "create", "secret").out().trim();
    }

    /** The attack fails with exit 4 and the message a missing id gets; alice still has everything. */
    private void notFound(String missingArg, String... attack) {
        CliRunner.Run run = as(MALLORY, attack);
        assertThat(run.exitCode()).as(String.join(" ", attack) + ": " + run.err()).isEqualTo(4);
        List<String> missing = new ArrayList<>();
        for (String a : attack) {
            missing.add(a.equals(snapshot) ? MISSING_SNAPSHOT : a.equals("secret") ? missingArg : a);
        }
        CliRunner.Run truly = as(MALLORY, missing.toArray(String[]::new));
        assertThat(truly.exitCode()).isEqualTo(4);
        assertThat(run.err().replace(snapshot, MISSING_SNAPSHOT).replace("'secret'", "'" + missingArg + "'"))
                .as("the same answer as for a missing id").isEqualTo(truly.err());
    }

    @Test
    void everyCommandOnAnotherAccountsVolumeOrSnapshotIsNotFound() {
        Path out = dir.resolve("out.raw");
        notFound("nothing", "volume", "info", "secret");
        notFound("nothing", "volume", "read", "secret", "--offset", "0", "--length", "14", "-o", out.toString());
        notFound("nothing", "volume", "write", "secret", "--offset", "0", "--input", dir.resolve("secret.bin").toString());
        notFound("nothing", "volume", "export", "secret", "-o", out.toString());
        notFound("nothing", "volume", "delete", "secret");
        notFound("nothing", "volume", "rollback", "secret", snapshot);
        notFound("nothing", "snapshot", "create", "secret");
        notFound("nothing", "volume", "export", snapshot, "-o", out.toString());
        notFound("nothing", "volume", "export", snapshot, "-O", "qcow2", "-o", out.toString());
        notFound("nothing", "volume", "clone", snapshot, "stolen");
        notFound("nothing", "snapshot", "diff", snapshot, snapshot);
        notFound("nothing", "snapshot", "delete", snapshot);
        notFound("nothing", "snapshot", "permission", snapshot, "--add", MALLORY);
        notFound("nothing", "snapshot", "permission", snapshot);
        assertThat(Files.exists(out)).isFalse();
        assertThat(as(MALLORY, "volume", "list").out()).doesNotContain("secret");
        assertThat(as(MALLORY, "snapshot", "list").out()).doesNotContain(snapshot);
        assertThat(read(ALICE, "secret")).isEqualTo("alice's secret");
        assertThat(ok(ALICE, "snapshot", "list").out()).contains(snapshot);
    }

    @Test
    void nbdServeOfAnotherAccountsVolumeOrSnapshotIsRefusedWithExit4() {
        for (String name : List.of("secret", snapshot)) {
            CliRunner.Run run = as(MALLORY, "nbd", "serve", name, "--listen", "127.0.0.1:0");
            assertThat(run.exitCode()).as(run.err()).isEqualTo(4);
        }
    }

    private static JsonNode json(CliRunner.Run run) {
        try {
            return Json.MAPPER.readTree(run.out());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void sharedSnapshotCanBeClonedByThePermittedAccountOnly() {
        CliRunner.Run shared = ok(ALICE, "snapshot", "permission", snapshot, "--add", BOB, "--json");
        assertThat(shared.out()).contains("\"CreateVolumePermissions\"").contains("\"UserId\" : \"" + BOB + "\"");
        JsonNode listed = json(ok(ALICE, "snapshot", "list", snapshot, "--json")).at("/Snapshots/0");
        assertThat(listed.at("/CreateVolumePermissions/0/UserId").asText()).isEqualTo(BOB);
        assertThat(listed.get("OwnerId").asText()).isEqualTo(ALICE);
        assertThat(ok(BOB, "snapshot", "list").out()).contains(snapshot).contains("shared by " + ALICE);
        ok(BOB, "volume", "clone", snapshot, "bobs");
        assertThat(ok(BOB, "volume", "info", "bobs", "--json").out()).contains("\"OwnerId\" : \"" + BOB + "\"");
        assertThat(read(BOB, "bobs")).isEqualTo("alice's secret");
        // bob may clone, not read the snapshot itself, nor share it on
        assertThat(as(BOB, "volume", "export", snapshot, "-o", dir.resolve("x.raw").toString()).exitCode()).isEqualTo(4);
        assertThat(as(BOB, "snapshot", "permission", snapshot, "--add", "all").exitCode()).isEqualTo(4);
        assertThat(as(MALLORY, "volume", "clone", snapshot, "m").exitCode()).isEqualTo(4);
        ok(ALICE, "snapshot", "permission", snapshot, "--remove", BOB);
        assertThat(as(BOB, "volume", "clone", snapshot, "again").exitCode()).isEqualTo(4);
        CliRunner.Run bad = as(ALICE, "snapshot", "permission", snapshot, "--add", "bob");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("'bob' is neither a 12-digit account id nor 'all'");
    }

    @Test
    void registeringAnotherAccountsSnapshotIsUnauthorizedAndPublicShowsToEveryone() {
        CliRunner.Run stolen = as(MALLORY, "ami", "register", "--name", "x", "--root-snapshot", snapshot, "--virtualization", "hvm");
        assertThat(stolen.exitCode()).as(stolen.err()).isEqualTo(5);
        assertThat(stolen.err()).startsWith("amiforge: UnauthorizedOperation: ");
        String ami = ok(ALICE, "ami", "register", "--name", "web", "--root-snapshot", snapshot, "--virtualization", "hvm",
                "--json").out().replaceAll("(?s).*\"ImageId\" : \"(ami-[0-9a-f]{17})\".*", "$1");
        ok(ALICE, "ami", "launch-permission", ami, "--add", "all");
        assertThat(ok(MALLORY, "ami", "describe", "--json").out()).contains(ami).contains("\"Public\" : true");
    }
}
