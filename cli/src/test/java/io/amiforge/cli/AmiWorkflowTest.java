package io.amiforge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The AMI workflow through the command line, as a user scripts it: build, import, snapshot,
 * register, describe, share, launch, console, the snapshot-in-use rule, and a qcow2 export that
 * qemu-img accepts.
 */
class AmiWorkflowTest {

    @TempDir
    Path dir;

    private CliRunner.Run amiforge(String... args) {
        return CliRunner.inStore(dir.resolve("store"), args);
    }

    private JsonNode json(String... args) throws Exception {
        return CliRunner.json(dir.resolve("store"), args);
    }

    @Test
    @Tag("interop")
    void buildImportRegisterLaunchAndExport() throws Exception {
        Path root = Files.createDirectories(dir.resolve("rootfs/etc"));
        Files.writeString(root.resolve("motd"), "hello from the workflow test\n");
        Path image = dir.resolve("disk.raw");
        json("image", "build", dir.resolve("rootfs").toString(), "-o", image.toString(), "--size", "32M",
                "--partition", "mbr", "--boot", "hvm", "--cmdline", "console=ttyS0 workflow=1");

        JsonNode boot = json("boot", image.toString(), "--mode", "hvm");
        assertThat(boot.get("result").asText()).isEqualTo("halted");
        assertThat(boot.get("console").asText()).contains("workflow=1");

        json("volume", "import", "web", image.toString());
        String snapshot = json("snapshot", "create", "web", "--description", "base").get("SnapshotId").asText();
        String ami = json("ami", "register", "--name", "web", "--root-snapshot", snapshot, "--virtualization", "hvm")
                .get("ImageId").asText();
        JsonNode images = json("ami", "describe", "--owner", "self").get("Images");
        assertThat(images).hasSize(1);
        assertThat(images.get(0).get("ImageId").asText()).isEqualTo(ami);
        assertThat(images.get(0).get("BlockDeviceMappings").get(0).get("Ebs").get("SnapshotId").asText()).isEqualTo(snapshot);

        CliRunner.Run stranger = amiforge("instance", "run", ami, "--type", "t3.micro", "--account", "444455556666");
        assertThat(stranger.exitCode()).isEqualTo(5);
        assertThat(stranger.err()).startsWith("amiforge: UnauthorizedOperation: ");
        json("ami", "launch-permission", ami, "--add", "444455556666");
        JsonNode run = json("instance", "run", ami, "--type", "t3.micro", "--az", "us-east-1d", "--account", "444455556666")
                .get("Instances").get(0);
        assertThat(run.get("State").get("Name").asText()).isEqualTo("running");
        assertThat(run.get("Placement").get("AvailabilityZone").asText()).isEqualTo("us-east-1d");
        assertThat(run.get("LastBoot").get("Result").asText()).isEqualTo("halted");
        String instance = run.get("InstanceId").asText();
        assertThat(json("instance", "console", instance, "--account", "444455556666").get("Output").asText())
                .contains("workflow=1");

        CliRunner.Run inUse = amiforge("snapshot", "delete", snapshot);
        assertThat(inUse.exitCode()).isEqualTo(5);
        assertThat(inUse.err()).startsWith("amiforge: InvalidSnapshot.InUse: ");

        String qemuImg = Interop.tool("qemu-img").toString();
        Path exported = dir.resolve("export/web.qcow2");
        Files.createDirectories(exported.getParent());
        json("volume", "export", snapshot, "-o", exported.toString(), "-O", "qcow2");
        Processes.run(List.of(qemuImg, "check", exported.toString())).orFail();
        Processes.run(List.of(qemuImg, "compare", "-f", "qcow2", "-F", "raw", exported.toString(), image.toString())).orFail();

        Path chainTop = dir.resolve("export/web-copy.qcow2");
        Processes.run(List.of(qemuImg, "create", "-f", "qcow2", "-b", exported.getFileName().toString(), "-F", "qcow2",
                chainTop.toString())).orFail();
        JsonNode imported = json("volume", "import", "web-copy", chainTop.toString());
        // the raw import's own snapshot, the one taken for the AMI, and the new top layer
        assertThat(imported.get("Snapshots")).hasSize(3);
        assertThat(json("store", "verify").toString()).contains("\"Ok\":true");
    }
}
