package io.amiforge.cloud.server;

import static io.amiforge.cloud.server.TestCloud.ALICE;
import static io.amiforge.cloud.server.TestCloud.BOB;
import static io.amiforge.cloud.server.TestCloud.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.amiforge.boot.hvm.AmiforgeBootChain;
import io.amiforge.boot.hvm.TinyKernel;
import io.amiforge.imagefmt.build.ImageBuilder;
import io.amiforge.testkit.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole AMI life cycle through Debian's unmodified AWS CLI, configured only with
 * {@code --endpoint-url} and keys: a real bootable disk image uploaded block by block with
 * {@code aws ebs put-snapshot-block}, completed, registered, launched and booted, its console
 * read; shared with a second account that launches it too; copied to another region; a child
 * snapshot's changed blocks listed; terminated.
 */
@Tag("interop")
class AwsCliLifecycleTest {

    private static final int BLOCK = 512 * 1024;

    @TempDir
    Path dir;

    private static String sha256(byte[] data) throws Exception {
        return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(data));
    }

    /** Uploads the non-zero 512 KiB blocks of {@code image} as a new snapshot (as coldsnap does); returns its id. */
    private String upload(TestCloud c, Path image, String parent, List<Integer> onlyBlocks) throws Exception {
        byte[] bytes = Files.readAllBytes(image);
        List<String> start = new ArrayList<>(List.of("ebs", "start-snapshot", "--volume-size", "1", "--description", "uploaded"));
        if (parent != null) {
            start.addAll(List.of("--parent-snapshot-id", parent));
        }
        String snapshot = ok(c.aws(c.alice, "us-east-1", start.toArray(String[]::new))).path("SnapshotId").asText();
        assertThat(snapshot).matches("snap-[0-9a-f]{17}");
        MessageDigest aggregate = MessageDigest.getInstance("SHA-256");
        int written = 0;
        for (int index = 0; index * BLOCK < bytes.length; index++) {
            byte[] block = Arrays.copyOfRange(bytes, index * BLOCK, (index + 1) * BLOCK);
            boolean zero = Arrays.equals(block, new byte[BLOCK]);
            if (onlyBlocks != null ? !onlyBlocks.contains(index) : zero) {
                continue;
            }
            Path file = dir.resolve("block-" + index);
            Files.write(file, block);
            String checksum = sha256(block);
            JsonNode put = ok(c.aws(c.alice, "us-east-1", "ebs", "put-snapshot-block", "--snapshot-id", snapshot,
                    "--block-index", Integer.toString(index), "--block-data", file.toString(), "--data-length",
                    Integer.toString(BLOCK), "--checksum", checksum, "--checksum-algorithm", "SHA256"));
            assertThat(put.path("Checksum").asText()).isEqualTo(checksum);
            aggregate.update(Base64.getDecoder().decode(checksum));
            written++;
        }
        JsonNode done = ok(c.aws(c.alice, "us-east-1", "ebs", "complete-snapshot", "--snapshot-id", snapshot,
                "--changed-blocks-count", Integer.toString(written), "--checksum",
                Base64.getEncoder().encodeToString(aggregate.digest()), "--checksum-algorithm", "SHA256",
                "--checksum-aggregation-method", "LINEAR"));
        assertThat(done.path("Status").asText()).isEqualTo("completed");
        return snapshot;
    }

    @Test
    void uploadRegisterLaunchShareCopyDiffAndTerminateWithTheAwsCli() throws Exception {
        Files.createDirectories(dir.resolve("tree/etc"));
        Files.writeString(dir.resolve("tree/etc/hostname"), "cli-test\n");
        Path image = dir.resolve("disk.raw");
        ImageBuilder.from(dir.resolve("tree")).partition(ImageBuilder.PartitionScheme.MBR).boot(ImageBuilder.BootMode.HVM)
                .kernel(TinyKernel.bzImage()).cmdline("console=ttyS0 uploaded=by-aws-cli").bootCode(new AmiforgeBootChain())
                .buildRaw(image, 16L << 20);
        try (TestCloud c = new TestCloud(dir.resolve("store"))) {
            String snapshot = upload(c, image, null, null);

            // an EBS direct snapshot is an ordinary snapshot: described, and its blocks read back as uploaded
            JsonNode described = ok(c.aws(c.alice, "us-east-1", "ec2", "describe-snapshots", "--snapshot-ids", snapshot));
            assertThat(described.path("Snapshots").get(0).path("OwnerId").asText()).isEqualTo(ALICE);
            assertThat(described.path("Snapshots").get(0).path("VolumeSize").asInt()).isEqualTo(1);
            JsonNode blocks = ok(c.aws(c.alice, "us-east-1", "ebs", "list-snapshot-blocks", "--snapshot-id", snapshot));
            JsonNode first = blocks.path("Blocks").get(0);
            Path back = dir.resolve("back");
            ok(c.aws(c.alice, "us-east-1", "ebs", "get-snapshot-block", "--snapshot-id", snapshot, "--block-index",
                    first.path("BlockIndex").asText(), "--block-token", first.path("BlockToken").asText(), back.toString()));
            byte[] original = Files.readAllBytes(image);
            int index = first.path("BlockIndex").asInt();
            assertThat(Files.readAllBytes(back)).isEqualTo(Arrays.copyOfRange(original, index * BLOCK, (index + 1) * BLOCK));

            String ami = ok(c.aws(c.alice, "us-east-1", "ec2", "register-image", "--name", "uploaded", "--architecture",
                    "x86_64", "--virtualization-type", "hvm", "--root-device-name", "/dev/xvda", "--block-device-mappings",
                    "DeviceName=/dev/xvda,Ebs={SnapshotId=" + snapshot + "}")).path("ImageId").asText();
            assertThat(ami).matches("ami-[0-9a-f]{17}");

            JsonNode run = ok(c.aws(c.alice, "us-east-1", "ec2", "run-instances", "--image-id", ami, "--instance-type",
                    "t3.micro", "--count", "1"));
            String instance = run.path("Instances").get(0).path("InstanceId").asText();
            assertThat(run.path("Instances").get(0).path("State").path("Name").asText()).isEqualTo("running");
            JsonNode console = ok(c.aws(c.alice, "us-east-1", "ec2", "get-console-output", "--instance-id", instance));
            assertThat(console.path("Output").asText()).as("the CLI decodes the base64 console").contains("uploaded=by-aws-cli");
            JsonNode shot = ok(c.aws(c.alice, "us-east-1", "ec2", "get-console-screenshot", "--instance-id", instance));
            assertThat(shot.path("InstanceId").asText()).isEqualTo(instance);
            java.awt.image.BufferedImage screen = javax.imageio.ImageIO.read(
                    new java.io.ByteArrayInputStream(Base64.getDecoder().decode(shot.path("ImageData").asText())));
            assertThat(screen).as("a JPEG of the VGA text screen").isNotNull();
            assertThat(screen.getWidth()).isEqualTo(640);
            assertThat(screen.getHeight()).isEqualTo(400);

            // Bob cannot launch it until Alice shares it; then he can, and it boots for him too
            Processes.Result refused = c.aws(c.bob, "us-east-1", "ec2", "run-instances", "--image-id", ami, "--count", "1");
            assertThat(refused.exitCode()).isNotZero();
            assertThat(refused.output()).contains("UnauthorizedOperation");
            ok(c.aws(c.alice, "us-east-1", "ec2", "modify-image-attribute", "--image-id", ami, "--launch-permission",
                    "Add=[{UserId=" + BOB + "}]"));
            JsonNode attribute = ok(c.aws(c.alice, "us-east-1", "ec2", "describe-image-attribute", "--image-id", ami,
                    "--attribute", "launchPermission"));
            assertThat(attribute.path("LaunchPermissions").get(0).path("UserId").asText()).isEqualTo(BOB);
            JsonNode bobs = ok(c.aws(c.bob, "us-east-1", "ec2", "run-instances", "--image-id", ami, "--instance-type",
                    "t3.micro", "--count", "1"));
            String bobsInstance = bobs.path("Instances").get(0).path("InstanceId").asText();
            assertThat(ok(c.aws(c.bob, "us-east-1", "ec2", "get-console-output", "--instance-id", bobsInstance))
                    .path("Output").asText()).contains("uploaded=by-aws-cli");
            JsonNode alicesView = ok(c.aws(c.alice, "us-east-1", "ec2", "describe-instances"));
            assertThat(alicesView.path("Reservations")).hasSize(1);

            // copy to another region, described and launchable there
            String copy = ok(c.aws(c.alice, "us-west-2", "ec2", "copy-image", "--source-region", "us-east-1",
                    "--source-image-id", ami, "--name", "uploaded-copy")).path("ImageId").asText();
            JsonNode west = ok(c.aws(c.alice, "us-west-2", "ec2", "describe-images", "--image-ids", copy));
            assertThat(west.path("Images").get(0).path("Name").asText()).isEqualTo("uploaded-copy");

            // a child snapshot with two blocks rewritten: exactly those are listed as changed
            String child = upload(c, image, snapshot, List.of(0, 5));
            JsonNode changed = ok(c.aws(c.alice, "us-east-1", "ebs", "list-changed-blocks", "--first-snapshot-id", snapshot,
                    "--second-snapshot-id", child));
            assertThat(changed.path("ChangedBlocks").findValuesAsText("BlockIndex")).containsExactly("0", "5");
            assertThat(changed.path("ChangedBlocks").get(0).has("FirstBlockToken")).isTrue();

            JsonNode terminated = ok(c.aws(c.alice, "us-east-1", "ec2", "terminate-instances", "--instance-ids", instance));
            assertThat(terminated.path("TerminatingInstances").get(0).path("CurrentState").path("Name").asText())
                    .isEqualTo("terminated");
            assertThat(terminated.path("TerminatingInstances").get(0).path("PreviousState").path("Code").asInt()).isEqualTo(16);
        }
    }
}
