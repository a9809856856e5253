package io.amiforge.cli.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.cli.CliRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code amiforge store pack}: packs a chain, leaves its contents as they were, and only for the snapshot's owner. */
class PackCommandTest {

    @TempDir
    Path dir;

    private CliRunner.Run run(String... args) {
        return CliRunner.inStore(dir.resolve("state"), args);
    }

    @Test
    void packsTheChainAndKeepsItsContents() throws Exception {
        assertThat(run("volume", "create", "web", "--size", "1M").exitCode()).isZero();
        byte[] data = new byte[3 * 4096];
        new Random(7).nextBytes(data);
        Path input = dir.resolve("in.bin");
        String snapshot = null;
        for (int i = 0; i < 3; i++) {
            Files.write(input, Arrays.copyOfRange(data, i * 4096, (i + 1) * 4096));
            assertThat(run("volume", "write", "web", "--offset", String.valueOf(i * 8192), "--input", input.toString()).exitCode())
                    .isZero();
            snapshot = run("snapshot", "create", "web").out().trim();
        }
        CliRunner.Run other = run("--account", "444455556666", "store", "pack", snapshot);
        assertThat(other.exitCode()).as(other.err()).isEqualTo(4);
        assertThat(other.err()).contains("InvalidSnapshot.NotFound");

        CliRunner.Run packed = run("store", "pack", snapshot, "--json");
        assertThat(packed.exitCode()).as(packed.err()).isZero();
        assertThat(packed.out()).contains("\"LayersPacked\" : 3", "\"BlocksPacked\" : 3");
        assertThat(run("store", "pack", snapshot).out()).contains("nothing to pack");
        assertThat(run("store", "verify").exitCode()).isZero();

        Path back = dir.resolve("back.bin");
        for (int i = 0; i < 3; i++) {
            assertThat(run("volume", "read", "web", "--offset", String.valueOf(i * 8192), "--length", "4096", "-o", back.toString())
                    .exitCode()).isZero();
            assertThat(Files.readAllBytes(back)).isEqualTo(Arrays.copyOfRange(data, i * 4096, (i + 1) * 4096));
        }
        CliRunner.Run bad = run("store", "pack", "not-a-snapshot");
        assertThat(bad.exitCode()).isNotZero();
        assertThat(bad.err()).contains("not-a-snapshot");
    }
}
