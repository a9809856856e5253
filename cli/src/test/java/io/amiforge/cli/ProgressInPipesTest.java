package io.amiforge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.testkit.Processes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** In a real process whose output goes to pipes, progress never writes a carriage return: plain lines with -p, else nothing. */
class ProgressInPipesTest {

    @TempDir
    Path dir;

    private Processes.Result amiforge(String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        return Processes.command(command).in(dir).run();
    }

    private static String err(Processes.Result result) {
        return new String(result.stderr(), StandardCharsets.UTF_8);
    }

    @Test
    void convertWithProgressPrintsPlainLinesIntoAPipe() throws Exception {
        Path raw = dir.resolve("disk.raw");
        try (var channel = java.nio.channels.FileChannel.open(raw, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            channel.write(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}), 40L << 20);
        }
        Processes.Result asked = amiforge("image", "convert", "-p", "-O", "qcow2", "disk.raw", "disk.qcow2");
        assertThat(asked.exitCode()).as(asked.output()).isZero();
        assertThat(err(asked)).doesNotContain("\r").contains("amiforge: convert: done (40.0 MiB of 40.0 MiB)");
        Processes.Result quiet = amiforge("image", "convert", "-O", "qcow2", "disk.raw", "again.qcow2");
        assertThat(err(quiet)).as("no -p, not a terminal: nothing").isEmpty();
        assertThat(Files.exists(dir.resolve("again.qcow2"))).isTrue();
    }

    @Test
    void theDemoWritesNoCarriageReturnIntoPipes() {
        Processes.Result demo = amiforge("--store", dir.resolve("store").toString(), "demo");
        assertThat(demo.exitCode()).as(demo.output()).isZero();
        assertThat(new String(demo.stdout(), StandardCharsets.UTF_8)).contains("[11/11]").doesNotContain("\r");
        assertThat(err(demo)).doesNotContain("\r");
    }
}
