package io.amiforge.cli.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.amiforge.cli.CliRunner;
import io.amiforge.cli.CliRunner.Run;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code image check}, {@code resize}, {@code rebase} and {@code snapshot} against qemu-img on
 * the same files: the same text, JSON and exit codes where qemu-img prints them, and qemu-img
 * finds the results consistent and with the expected content.
 */
@Tag("interop")
class ImageRepairCommandsTest {

    @TempDir
    Path dir;

    private Processes.Result qemu(String tool, String... args) {
        List<String> command = new ArrayList<>(List.of(Interop.tool(tool).toString()));
        command.addAll(List.of(args));
        return Processes.command(command).in(dir).run();
    }

    private static Run amiforge(String... args) {
        return CliRunner.run(args);
    }

    private String image(String name) {
        qemu("qemu-img", "create", "-f", "qcow2", name, "16M").orFail();
        qemu("qemu-io", "-f", "qcow2", "-c", "write -P 0x61 0 3M", "-c", "write -c -P 0x62 8M 128k", name).orFail();
        return dir.resolve(name).toString();
    }

    @Test
    void checkPrintsWhatQemuImgPrintsAndRepairsLeaks() throws Exception {
        String file = image("a.qcow2");
        try (FileChannel c = FileChannel.open(Path.of(file), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(8);
            c.read(b, 40);
            long l1 = b.getLong(0);
            c.read(b.clear(), l1);
            long l2 = b.getLong(0) & 0x00ff_ffff_ffff_fe00L;
            c.write(ByteBuffer.allocate(8), l2 + 8); // the second cluster's mapping is dropped: it leaks
        }
        Processes.Result theirs = qemu("qemu-img", "check", file);
        Run ours = amiforge("image", "check", file);
        assertThat(ours.exitCode()).isEqualTo(theirs.exitCode()).isEqualTo(3);
        assertThat(ours.out()).isEqualTo(theirs.stdoutText());
        JsonNode theirJson = new ObjectMapper().readTree(qemu("qemu-img", "check", "--output=json", file).stdoutText());
        JsonNode ourJson = new ObjectMapper().readTree(amiforge("image", "check", "--output=json", file).out());
        assertThat(ourJson).isEqualTo(theirJson);

        Run repaired = amiforge("image", "check", "-r", "leaks", file);
        assertThat(repaired.exitCode()).as(repaired.err()).isZero();
        assertThat(repaired.out()).contains("1 leaked clusters", "No errors were found on the image.");
        assertThat(repaired.err()).contains("Repairing cluster");
        Processes.Result after = qemu("qemu-img", "check", file);
        assertThat(after.exitCode()).as(after.output()).isZero();
    }

    @Test
    void checkOfARawFileIsAClearError() throws IOException {
        qemu("qemu-img", "create", "-f", "raw", "d.raw", "1M").orFail();
        Run r = amiforge("image", "check", dir.resolve("d.raw").toString());
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.err()).contains("image format raw has no checks");
    }

    @Test
    void resizeGrowsAndShrinksOnlyWithShrink() {
        String file = image("r.qcow2");
        Processes.Result before = qemu("qemu-img", "convert", "-O", "raw", file, "before.raw");
        before.orFail();
        Run grow = amiforge("image", "resize", file, "+2G");
        assertThat(grow.exitCode()).as(grow.err()).isZero();
        assertThat(grow.out()).isEqualTo("Image resized.\n");
        assertThat(qemu("qemu-img", "info", file).stdoutText()).contains("virtual size: 2.02 GiB (2164260864 bytes)");
        Run refused = amiforge("image", "resize", file, "16M");
        assertThat(refused.exitCode()).isEqualTo(2);
        assertThat(refused.err()).contains("--shrink");
        Run shrink = amiforge("image", "resize", "--shrink", file, "16M");
        assertThat(shrink.exitCode()).as(shrink.err()).isZero();
        assertThat(qemu("qemu-img", "check", file).exitCode()).isZero();
        assertThat(qemu("qemu-img", "compare", "-F", "raw", file, dir.resolve("before.raw").toString()).exitCode()).isZero();
    }

    @Test
    void rebaseSafelyOntoTheBaseKeepsTheContent() {
        qemu("qemu-img", "create", "-f", "raw", "base.raw", "16M").orFail();
        qemu("qemu-io", "-f", "raw", "-c", "write -P 0x11 1M 1M", "base.raw").orFail();
        qemu("qemu-img", "create", "-f", "qcow2", "-b", "base.raw", "-F", "raw", "mid.qcow2").orFail();
        qemu("qemu-io", "-f", "qcow2", "-c", "write -P 0x22 1536k 1M", "mid.qcow2").orFail();
        qemu("qemu-img", "create", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", "top.qcow2").orFail();
        qemu("qemu-img", "convert", "-O", "raw", "top.qcow2", "before.raw").orFail();
        Run r = amiforge("image", "rebase", "-b", "base.raw", "-F", "raw", dir.resolve("top.qcow2").toString(), "--output=json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"backingFormat\" : \"raw\"");
        assertThat(qemu("qemu-img", "info", "top.qcow2").stdoutText()).contains("backing file: base.raw");
        assertThat(qemu("qemu-img", "check", "top.qcow2").exitCode()).isZero();
        assertThat(qemu("qemu-img", "compare", "-F", "raw", "top.qcow2", "before.raw").exitCode()).isZero();
    }

    @Test
    void snapshotsMadeHereAreQemuImgsAndTheListReadsTheSame() {
        String file = image("s.qcow2");
        qemu("qemu-img", "convert", "-O", "raw", file, "before.raw").orFail();
        assertThat(amiforge("image", "snapshot", "-c", "clean", file).exitCode()).isZero();
        qemu("qemu-img", "snapshot", "-c", "theirs", file).orFail();
        assertThat(amiforge("image", "snapshot", "-l", file).out()).isEqualTo(qemu("qemu-img", "snapshot", "-l", file).stdoutText());
        qemu("qemu-io", "-f", "qcow2", "-c", "write -P 0x77 0 1M", file).orFail();
        Run apply = amiforge("image", "snapshot", "-a", "clean", file);
        assertThat(apply.exitCode()).as(apply.err()).isZero();
        assertThat(qemu("qemu-img", "compare", "-F", "raw", file, dir.resolve("before.raw").toString()).exitCode()).isZero();
        assertThat(amiforge("image", "snapshot", "-d", "1", file).exitCode()).isZero();
        assertThat(qemu("qemu-img", "snapshot", "-l", file).stdoutText()).doesNotContain("clean").contains("theirs");
        assertThat(qemu("qemu-img", "check", file).exitCode()).isZero();
        Run missing = amiforge("image", "snapshot", "-a", "clean", file);
        assertThat(missing.exitCode()).isEqualTo(4);
        assertThat(missing.err()).contains("no snapshot with ID or name 'clean'");
    }
}
