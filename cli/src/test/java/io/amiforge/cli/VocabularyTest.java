package io.amiforge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.amiforge.cli.CliRunner.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One spelling per idea, the old spellings kept: both give the same result. */
class VocabularyTest {

    @TempDir
    Path dir;

    private Run run(String... args) {
        List<String> all = new ArrayList<>(List.of("--store", dir.resolve("store").toString()));
        all.addAll(List.of(args));
        return CliRunner.run(all.toArray(String[]::new));
    }

    private JsonNode ok(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--json");
        Run r = run(all.toArray(String[]::new));
        assertThat(r.exitCode()).as(String.join(" ", args) + "\n" + r.err()).isZero();
        return new ObjectMapper().readTree(r.out());
    }

    @Test
    void imageBuildTakesTheFileAsAnArgumentAndVirtualizationAsBootAndPvAsParavirtual() throws Exception {
        Path rootfs = Files.createDirectories(dir.resolve("rootfs"));
        Files.writeString(rootfs.resolve("hello"), "hi\n");
        JsonNode now = ok("image", "build", rootfs.toString(), dir.resolve("new.qcow2").toString(), "--size", "16M",
                "--virtualization", "paravirtual", "-O", "qcow2", "-o", "cluster_size=128K");
        JsonNode old = ok("image", "build", rootfs.toString(), "-o", dir.resolve("old.qcow2").toString(), "--size", "16M",
                "--boot", "pv", "-O", "qcow2");
        assertThat(now.get("boot").asText()).isEqualTo("pv").isEqualTo(old.get("boot").asText());
        assertThat(now.get("rootPartition").get("sectors")).isEqualTo(old.get("rootPartition").get("sectors"));
        assertThat(ok("image", "info", dir.resolve("new.qcow2").toString()).get("clusterSize").asInt()).isEqualTo(128 << 10);
        Run both = run("image", "build", rootfs.toString(), dir.resolve("a.raw").toString(), "-o", dir.resolve("b.raw").toString(),
                "--size", "16M");
        assertThat(both.exitCode()).isEqualTo(2);
        assertThat(both.err()).contains("two output files");
        Run bootPv = run("boot", dir.resolve("new.qcow2").toString(), "--virtualization", "pv");
        Run bootMode = run("boot", dir.resolve("old.qcow2").toString(), "--mode", "pv");
        assertThat(bootPv.exitCode()).as(bootPv.err()).isEqualTo(bootMode.exitCode()).isZero();
    }

    @Test
    void volumeExportAndReadTakeTheFileAsAnArgumentAndStillAcceptDashO() throws Exception {
        ok("volume", "create", "v", "--size", "1M");
        Path input = Files.write(dir.resolve("in.bin"), "hello vocabulary".getBytes());
        ok("volume", "write", "v", "--offset", "4096", "--input", input.toString());
        ok("volume", "export", "v", dir.resolve("new.raw").toString());
        ok("volume", "export", "v", "-o", dir.resolve("old.raw").toString());
        assertThat(Files.mismatch(dir.resolve("new.raw"), dir.resolve("old.raw"))).isEqualTo(-1);
        assertThat(Files.size(dir.resolve("new.raw"))).isEqualTo(1 << 20);
        Run read = run("volume", "read", "v", dir.resolve("read.bin").toString(), "--offset", "4096", "--length", "16");
        assertThat(read.exitCode()).as(read.err()).isZero();
        assertThat(Files.readString(dir.resolve("read.bin"))).isEqualTo("hello vocabulary");
        Run missing = run("volume", "export", "v");
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).startsWith("amiforge: MissingParameter: no output file");
    }
}
