package io.amiforge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.amiforge.cli.common.Json;
import io.amiforge.cli.serve.ServeCommand;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scripts move between the AWS CLI and amiforge unchanged: for one store, what
 * {@code amiforge ... --json} prints and what Debian's unmodified AWS CLI ({@code /usr/bin/aws})
 * prints from {@code amiforge serve} over the same store name the same fields, for the same
 * instance, image, snapshot and volume. Every field path the AWS CLI shows is in amiforge's
 * output; amiforge may add only its documented own fields ({@code docs/json.md}).
 */
@Tag("interop")
class AwsCliParityTest {

    private static final Path AWS = Path.of("/usr/bin/aws");
    private static final String ACCOUNT = "111122223333";

    @TempDir
    Path dir;

    private JsonNode amiforge(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--store", dir.resolve("store").toString(), "--account", ACCOUNT, "--json"));
        CliRunner.Run run = CliRunner.run(all.toArray(String[]::new));
        assertThat(run.exitCode()).as("%s: %s", String.join(" ", args), run.err()).isZero();
        return Json.MAPPER.readTree(run.out());
    }

    @Test
    void describeOutputsNameTheSameFieldsAsTheAwsCliAgainstAmiforgeServe() throws Exception {
        Interop.file(AWS, "Debian's AWS CLI (package awscli)");
        Files.createDirectories(dir.resolve("rootfs/etc"));
        Files.writeString(dir.resolve("rootfs/etc/motd"), "parity\n");
        Path image = dir.resolve("disk.raw");
        amiforge("image", "build", dir.resolve("rootfs").toString(), "-o", image.toString(), "--size", "16M",
                "--partition", "mbr", "--boot", "hvm", "--cmdline", "console=ttyS0");
        amiforge("volume", "import", "web", image.toString());
        String snapshot = amiforge("snapshot", "create", "web", "--description", "parity").get("SnapshotId").asText();
        String ami = amiforge("ami", "register", "--name", "web", "--root-snapshot", snapshot, "--virtualization", "hvm")
                .get("ImageId").asText();
        String instance = amiforge("instance", "run", ami, "--type", "t3.micro").at("/Instances/0/InstanceId").asText();
        String volume = amiforge("volume", "info", "web").get("VolumeId").asText();
        JsonNode key = amiforge("account", "create-key").get("AccessKey");

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CompletableFuture<Integer> serving = CompletableFuture.supplyAsync(() -> Main.run(new PrintWriter(out, true),
                new PrintWriter(err, true), "--store", dir.resolve("store").toString(), "serve", "--json", "--listen",
                "127.0.0.1:0"));
        try {
            String endpoint = endpoint(out, err, serving);
            SoftAssertions soft = new SoftAssertions();
            compare(soft, amiforge("instance", "describe", instance),
                    aws(endpoint, key, "ec2", "describe-instances", "--instance-ids", instance),
                    Set.of("Reservations[].Instances[].LastBoot"));
            compare(soft, amiforge("ami", "describe", "--image-id", ami),
                    aws(endpoint, key, "ec2", "describe-images", "--image-ids", ami),
                    Set.of("Images[].LaunchPermissions", "Images[].ProductCodes"));
            compare(soft, amiforge("snapshot", "list", snapshot),
                    aws(endpoint, key, "ec2", "describe-snapshots", "--snapshot-ids", snapshot),
                    Set.of("Snapshots[].VolumeName", "Snapshots[].ParentSnapshotId", "Snapshots[].SizeBytes",
                            "Snapshots[].BlockSize", "Snapshots[].BlockCount", "Snapshots[].CreateVolumePermissions",
                            "Snapshots[].Attributes"));
            JsonNode volumes = amiforge("volume", "list");
            JsonNode awsVolumes = aws(endpoint, key, "ec2", "describe-volumes", "--volume-ids", volume);
            ((com.fasterxml.jackson.databind.node.ArrayNode) volumes.get("Volumes")).removeIf(v -> !v.get("VolumeId").asText()
                    .equals(volume));
            compare(soft, volumes, awsVolumes, Set.of("Volumes[].VolumeName", "Volumes[].SizeBytes", "Volumes[].BlockSize",
                    "Volumes[].WriteStrategy", "Volumes[].ReadIndex", "Volumes[].OwnerId"));
            soft.assertAll();
        } finally {
            ServeCommand.requestStop();
            assertThat(serving.get(30, TimeUnit.SECONDS)).isZero();
        }
    }

    /**
     * The field paths of {@code ours} and {@code theirs} agree: each of theirs is ours; each of ours
     * not theirs is one of amiforge's own ({@code extra} or below it). Ids and states are equal too.
     */
    private static void compare(SoftAssertions soft, JsonNode ours, JsonNode theirs, Set<String> extra) {
        Set<String> mine = JsonOutputTest.paths(ours);
        Set<String> aws = JsonOutputTest.paths(theirs);
        soft.assertThat(mine).as("fields the AWS CLI shows, missing in amiforge's output%nours:   %s%ntheirs: %s", ours, theirs)
                .containsAll(aws);
        Set<String> added = new TreeSet<>(mine);
        added.removeAll(aws);
        added.removeIf(p -> extra.stream().anyMatch(e -> p.equals(e) || p.startsWith(e + ".") || p.startsWith(e + "[]")));
        soft.assertThat(added).as("amiforge fields that are neither the AWS CLI's nor documented as amiforge's own").isEmpty();
        for (String id : List.of("/Reservations/0/Instances/0/InstanceId", "/Reservations/0/Instances/0/State/Code",
                "/Reservations/0/Instances/0/BlockDeviceMappings/0/Ebs/VolumeId", "/Images/0/ImageId", "/Images/0/State",
                "/Snapshots/0/SnapshotId", "/Snapshots/0/VolumeId", "/Snapshots/0/VolumeSize", "/Volumes/0/VolumeId",
                "/Volumes/0/Size", "/Volumes/0/State")) {
            soft.assertThat(ours.at(id).asText()).as(id).isEqualTo(theirs.at(id).asText());
        }
    }

    private static String endpoint(StringWriter out, StringWriter err, CompletableFuture<Integer> serving) throws Exception {
        for (int i = 0; i < 300; i++) { // bounded: 30 s
            if (out.toString().contains("}")) {
                return Json.MAPPER.readTree(out.toString()).get("Endpoint").asText();
            }
            assertThat(serving.isDone()).as("serve ended early: " + err).isFalse();
            Thread.sleep(100);
        }
        throw new AssertionError("amiforge serve printed no endpoint in 30 s: " + err);
    }

    /** {@code aws ARGS --output json} against {@code endpoint} with {@code key}, and nothing else configured. */
    private JsonNode aws(String endpoint, JsonNode key, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("env", "-i", "PATH=/usr/bin:/bin", "HOME=" + dir.resolve("home"),
                "AWS_ACCESS_KEY_ID=" + key.get("AccessKeyId").asText(),
                "AWS_SECRET_ACCESS_KEY=" + key.get("SecretAccessKey").asText(), "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=",
                AWS.toString()));
        command.addAll(List.of(args));
        command.addAll(List.of("--endpoint-url", endpoint, "--region", "us-east-1", "--output", "json"));
        Processes.Result result = Processes.command(command).run();
        assertThat(result.exitCode()).as("aws %s: %s", String.join(" ", args), result.output()).isZero();
        return Json.MAPPER.readTree(result.stdoutText());
    }
}
