package io.amiforge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import io.amiforge.cli.common.Json;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Every command of the CLI, found by walking picocli's command tree (so a new command is covered
 * without being listed), prints exactly one JSON document on stdout with {@code --json} (nothing
 * before or after it) and never a stack trace on stderr: with no arguments, with arguments that
 * name things that do not exist, and in a success case each (a new command fails
 * {@link #everyCommandSucceedsWithOneJsonDocument} until it is given one).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class JsonOutputTest {

    private static final ObjectReader STRICT = Json.MAPPER.readerFor(JsonNode.class)
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final Pattern STACK_TRACE = Pattern.compile("(?m)^\\s+at [\\w.$/]+\\(|Exception in thread|^Caused by: ");

    /** Commands that run without arguments until stopped or for a long time, with what covers their output instead. */
    private static final List<String> NOT_RUN_BARE = List.of(
            "demo", // the whole walkthrough: DemoCommandTest
            "serve"); // serves until stopped: ServeCommandTest

    /** Commands without a success case here, and why. */
    private static final Map<String, String> NO_SUCCESS_CASE = Map.of(
            "demo", "builds, boots and bundles a whole image for minutes: DemoCommandTest",
            "nbd serve", "serves until stopped: NbdServeCommandTest",
            "serve", "serves until stopped: ServeCommandTest");

    /** Commands whose arguments-that-do-not-exist case would run for minutes, with what covers their errors instead. */
    private static final Map<String, String> NOT_RUN_MISSING = Map.of(
            "bench sweep", "--out names a directory to create, so a full sweep would run: BenchCommandsTest",
            "serve", "has no required argument, so it would serve until stopped: ServeCommandTest");

    /** The members of EC2's {@code Image} (DescribeImages) every image shows, as the AWS CLI names them. */
    static final List<String> IMAGE = List.of("ImageId", "Name", "OwnerId", "State", "Architecture", "VirtualizationType",
            "RootDeviceType", "RootDeviceName", "BlockDeviceMappings[].DeviceName", "BlockDeviceMappings[].Ebs.SnapshotId",
            "BlockDeviceMappings[].Ebs.VolumeSize", "BlockDeviceMappings[].Ebs.DeleteOnTermination",
            "BlockDeviceMappings[].Ebs.VolumeType", "Public", "CreationDate", "ImageType", "Hypervisor");
    /** The members of EC2's {@code Snapshot} (DescribeSnapshots, CreateSnapshot). */
    static final List<String> SNAPSHOT = List.of("SnapshotId", "VolumeId", "VolumeSize", "State", "OwnerId", "StartTime",
            "Description", "Progress", "Encrypted", "StorageTier");
    /** The members of EC2's {@code Volume} (DescribeVolumes, CreateVolume). */
    static final List<String> VOLUME = List.of("VolumeId", "Size", "State", "AvailabilityZone", "CreateTime", "VolumeType",
            "Encrypted", "MultiAttachEnabled");
    /** The members of EC2's {@code Reservation} and its {@code Instance} (RunInstances, DescribeInstances). */
    static final List<String> RESERVATION = List.of("ReservationId", "OwnerId", "Instances[].InstanceId", "Instances[].ImageId",
            "Instances[].State.Code", "Instances[].State.Name", "Instances[].Placement.AvailabilityZone",
            "Instances[].Placement.Tenancy", "Instances[].InstanceType", "Instances[].Architecture",
            "Instances[].RootDeviceType", "Instances[].RootDeviceName", "Instances[].LaunchTime", "Instances[].AmiLaunchIndex",
            "Instances[].VirtualizationType", "Instances[].Hypervisor", "Instances[].Monitoring.State",
            "Instances[].BlockDeviceMappings[].DeviceName", "Instances[].BlockDeviceMappings[].Ebs.VolumeId",
            "Instances[].BlockDeviceMappings[].Ebs.Status", "Instances[].BlockDeviceMappings[].Ebs.DeleteOnTermination");
    /** The members of EC2's {@code InstanceStateChange} (Start/Stop/TerminateInstances). */
    static final List<String> STATE_CHANGE = List.of("InstanceId", "CurrentState.Code", "CurrentState.Name",
            "PreviousState.Code", "PreviousState.Name");

    @TempDir
    Path dir;

    @Test
    void everyCommandPrintsOneJsonDocumentAndNoStackTraceOnErrors() {
        List<CommandSpec> leaves = new ArrayList<>();
        collectLeaves(Main.newCommandLine(), leaves);
        assertThat(leaves).hasSizeGreaterThan(30);
        SoftAssertions soft = new SoftAssertions();
        for (CommandSpec leaf : leaves) {
            List<String> path = List.of(leaf.qualifiedName().split(" ")).subList(1, leaf.qualifiedName().split(" ").length);
            String store = dir.resolve("store").toString();
            if (!NOT_RUN_BARE.contains(String.join(" ", path))) {
                List<String> bare = new ArrayList<>(path);
                bare.addAll(List.of("--store", store, "--json"));
                check(soft, bare);
            }
            List<String> missing = new ArrayList<>(path);
            missing.addAll(List.of("--store", store, "--json"));
            for (ArgSpec arg : leaf.args()) {
                if (arg.isPositional() || arg.required()) {
                    if (arg.isOption()) {
                        missing.add(((CommandLine.Model.OptionSpec) arg).longestName());
                    }
                    missing.add(valueThatDoesNotExist(arg));
                }
            }
            if (!NOT_RUN_MISSING.containsKey(String.join(" ", path))) {
                check(soft, missing);
            }
        }
        soft.assertAll();
    }

    @Test
    @Tag("interop") // image build installs a boot loader; bundles need openssl keys
    void everyCommandSucceedsWithOneJsonDocument() throws Exception {
        Set<String> covered = new TreeSet<>();
        Path root = Files.createDirectories(dir.resolve("rootfs/etc"));
        Files.writeString(root.resolve("motd"), "hello from the JSON test\n");
        String disk = dir.resolve("disk.raw").toString();
        String bytes = Files.write(dir.resolve("four.bin"), new byte[] {1, 2, 3, 4}).toString();
        ok(covered, "image", "build", dir.resolve("rootfs").toString(), "-o", disk, "--size", "32M", "--partition", "mbr",
                "--boot", "hvm", "--cmdline", "console=ttyS0");
        ok(covered, "image", "info", disk);
        ok(covered, "image", "convert", disk, dir.resolve("disk.qcow2").toString(), "-O", "qcow2");
        String base = dir.resolve("base.qcow2").toString();
        String top = dir.resolve("top.qcow2").toString();
        ok(covered, "image", "create", "-f", "qcow2", base, "4M");
        ok(covered, "image", "create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", top);
        ok(covered, "image", "compare", base, top);
        ok(covered, "image", "map", top);
        ok(covered, "image", "measure", "-O", "qcow2", disk);
        ok(covered, "image", "commit", "-d", top);
        ok(covered, "image", "check", top);
        ok(covered, "image", "resize", base, "+1M");
        ok(covered, "image", "snapshot", "-c", "first", base);
        ok(covered, "image", "snapshot", "-l", base);
        ok(covered, "image", "snapshot", "-d", "first", base);
        ok(covered, "image", "rebase", "-u", "-b", "base.qcow2", "-F", "qcow2", top);
        assertThat(ok(covered, "man", "image", "convert").get("ManPage").asText()).contains(".SH NAME");
        assertThat(ok(covered, "completion").get("Script").asText()).contains("complete -F");
        ok(covered, "fs", "ls", disk, "/etc");
        JsonNode cat = ok(covered, "fs", "cat", disk, "/etc/motd");
        assertThat(new String(java.util.Base64.getDecoder().decode(cat.get("ContentBase64").asText())))
                .isEqualTo("hello from the JSON test\n");
        ok(covered, "boot", disk, "--mode", "hvm");
        JsonNode blank = ok(covered, "volume", "create", "blank", "--size", "1M");
        pinned(blank, "volume create (EC2 CreateVolume)", VOLUME);
        assertThat(blank.get("Size").asLong()).as("1 MiB shows as 1 GiB, rounded up").isEqualTo(1);
        assertThat(blank.get("SizeBytes").asLong()).isEqualTo(1 << 20);
        assertThat(blank.get("State").asText()).isEqualTo("available");
        ok(covered, "volume", "import", "web", disk);
        ok(covered, "volume", "write", "blank", "--offset", "0", "--input", bytes);
        pinned(ok(covered, "volume", "info", "blank"), "volume info", VOLUME);
        JsonNode read = ok(covered, "volume", "read", "blank", "--offset", "0", "--length", "4");
        assertThat(java.util.Base64.getDecoder().decode(read.get("ContentBase64").asText())).containsExactly(1, 2, 3, 4);
        pinned(ok(covered, "volume", "list"), "volume list (EC2 DescribeVolumes)", prefixed("Volumes[].", VOLUME));
        ok(covered, "store", "strategies");
        assertThat(ok(covered, "account", "create-key").get("AccessKey").get("AccessKeyId").asText()).isNotBlank();
        String signing = io.amiforge.cloud.Ec2Credentials.loadOrCreate(dir.resolve("signing"), "json").certificateFile().toString();
        assertThat(ok(covered, "account", "import-certificate", signing).get("AccountId").asText()).matches("[0-9]{12}");
        JsonNode created = ok(covered, "snapshot", "create", "web", "--description", "base");
        pinned(created, "snapshot create (EC2 CreateSnapshot)", SNAPSHOT);
        assertThat(created.get("State").asText()).isEqualTo("completed");
        String root0 = created.get("SnapshotId").asText();
        String first = ok(covered, "snapshot", "create", "blank").get("SnapshotId").asText();
        ok(covered, "volume", "write", "blank", "--offset", "4096", "--input", bytes);
        String second = ok(covered, "snapshot", "create", "blank").get("SnapshotId").asText();
        pinned(ok(covered, "snapshot", "list"), "snapshot list (EC2 DescribeSnapshots)", prefixed("Snapshots[].", SNAPSHOT));
        JsonNode one = ok(covered, "snapshot", "list", first);
        assertThat(one.get("Snapshots")).hasSize(1);
        assertThat(one.get("Snapshots").get(0).get("VolumeSize").asLong()).isEqualTo(1);
        assertThat(one.get("Snapshots").get(0).get("SizeBytes").asLong()).isEqualTo(1 << 20);
        ok(covered, "snapshot", "diff", first, second);
        ok(covered, "snapshot", "permission", root0, "--add", "444455556666");
        ok(covered, "volume", "clone", root0, "web-clone");
        ok(covered, "volume", "rollback", "blank", first);
        Files.createDirectories(dir.resolve("out"));
        ok(covered, "volume", "export", "web", "-o", dir.resolve("out/web.raw").toString());
        ok(covered, "store", "verify");
        ok(covered, "store", "pack", second);
        String bucket = dir.resolve("bucket").toUri().toString();
        ok(covered, "store", "migrate", "--from", dir.resolve("store").toString(), "--to", bucket);
        ok(covered, "store", "gc", bucket, "--grace", "0s");
        String ami = ok(covered, "ami", "register", "--name", "web", "--root-snapshot", root0, "--virtualization", "hvm")
                .get("ImageId").asText();
        pinned(ok(covered, "ami", "describe", "--owner", "self"), "ami describe (EC2 DescribeImages)", prefixed("Images[].", IMAGE));
        JsonNode imported = ok(covered, "ami", "import-image", disk, "--name", "imported");
        assertThat(imported.get("ImageId").asText()).startsWith("ami-");
        assertThat(imported.get("SnapshotDetails").get(0).get("SnapshotId").asText()).startsWith("snap-");
        ok(covered, "ami", "launch-permission", ami, "--add", "444455556666");
        ok(covered, "ami", "reset-launch-permission", ami);
        JsonNode reservation = ok(covered, "instance", "run", ami, "--type", "t3.micro");
        pinned(reservation, "instance run (EC2 RunInstances)", RESERVATION);
        JsonNode launched = reservation.get("Instances").get(0);
        assertThat(launched.get("State").get("Code").asInt()).isEqualTo(16);
        assertThat(launched.get("State").get("Name").asText()).isEqualTo("running");
        String instance = launched.get("InstanceId").asText();
        pinned(ok(covered, "instance", "describe", instance), "instance describe (EC2 DescribeInstances)",
                prefixed("Reservations[].", RESERVATION));
        ok(covered, "instance", "console", instance);
        Path png = dir.resolve("out/screen.png");
        JsonNode shot = ok(covered, "instance", "screenshot", instance, "--out", png.toString());
        assertThat(shot.get("Width").asInt()).isEqualTo(640);
        assertThat(shot.get("Screen").size()).as("25 text rows").isEqualTo(25);
        assertThat(Files.readAllBytes(png)).startsWith(0x89, 'P', 'N', 'G').hasSize(shot.get("Bytes").asInt());
        pinned(ok(covered, "instance", "reboot", instance), "instance reboot", prefixed("RebootingInstances[].", STATE_CHANGE));
        JsonNode stopping = ok(covered, "instance", "stop", instance);
        pinned(stopping, "instance stop (EC2 StopInstances)", prefixed("StoppingInstances[].", STATE_CHANGE));
        assertThat(stopping.at("/StoppingInstances/0/PreviousState/Code").asInt()).isEqualTo(16);
        assertThat(stopping.at("/StoppingInstances/0/CurrentState/Name").asText()).isEqualTo("stopped");
        pinned(ok(covered, "instance", "start", instance), "instance start (EC2 StartInstances)",
                prefixed("StartingInstances[].", STATE_CHANGE));
        ok(covered, "ami", "create-image", instance, "--name", "captured", "--no-reboot");
        ok(covered, "ami", "copy", ami, "--to-region", "us-west-2");
        pinned(ok(covered, "instance", "terminate", instance), "instance terminate (EC2 TerminateInstances)",
                prefixed("TerminatingInstances[].", STATE_CHANGE));
        ok(covered, "ami", "deregister", ami);
        ok(covered, "snapshot", "delete", second);
        ok(covered, "volume", "delete", "web-clone");
        for (String who : List.of("user", "ec2")) {
            Processes.run(dir, List.of(Interop.tool("openssl").toString(), "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", who + ".key", "-out", who + ".crt", "-subj", "/CN=" + who, "-days", "2")).orFail();
        }
        ok(covered, "ami", "bundle", bytes, "-d", dir.resolve("b").toString(), "--user", "111122223333", "--cert",
                dir.resolve("user.crt").toString(), "--privatekey", dir.resolve("user.key").toString(), "--ec2cert",
                dir.resolve("ec2.crt").toString(), "--prefix", "four");
        ok(covered, "ami", "unbundle", "-m", dir.resolve("b/four.manifest.xml").toString(), "-d",
                dir.resolve("r").toString(), "--privatekey", dir.resolve("user.key").toString());

        ok(covered, "bench", "sweep", "--quick", "--depths", "1", "--strategies", "row-flat", "--out",
                dir.resolve("bench").toString(), "--scratch", dir.toString());
        Path jmh = Files.writeString(dir.resolve("jmh.json"), "[{\"benchmark\":\"a.B.c\",\"mode\":\"thrpt\","
                + "\"primaryMetric\":{\"score\":1.0,\"scoreUnit\":\"ops/s\"}}]");
        ok(covered, "bench", "chart", "--jmh", jmh.toString(), "--out", dir.resolve("charts").toString());

        List<CommandSpec> leaves = new ArrayList<>();
        collectLeaves(Main.newCommandLine(), leaves);
        Set<String> all = new TreeSet<>();
        leaves.forEach(leaf -> all.add(leaf.qualifiedName().substring("amiforge ".length())));
        all.removeAll(NO_SUCCESS_CASE.keySet());
        assertThat(covered).as("commands with a success case here").containsAll(all);
    }

    /** Runs {@code args} with --json in the test's store; it must succeed and print exactly one JSON document. */
    private JsonNode ok(Set<String> covered, String... args) throws Exception {
        List<String> line = new ArrayList<>(List.of(args));
        line.addAll(List.of("--store", dir.resolve("store").toString(), "--json"));
        CliRunner.Run run = CliRunner.run(line.toArray(String[]::new));
        String shown = String.join(" ", args);
        assertThat(run.exitCode()).as("%s: exit; stdout %s; stderr %s", shown, run.out(), run.err()).isZero();
        assertThat(STACK_TRACE.matcher(run.err()).find()).as("%s: stack trace on stderr:%n%s", shown, run.err()).isFalse();
        JsonNode node;
        try {
            node = STRICT.readValue(run.out().strip());
        } catch (java.io.IOException e) {
            throw new AssertionError(shown + ": stdout is not exactly one JSON document (" + e.getMessage() + "):\n"
                    + run.out(), e);
        }
        assertThat(node.isContainerNode()).as("%s: a JSON object or array: %s", shown, run.out()).isTrue();
        String path = leafPath(args);
        covered.add(path);
        return node;
    }

    /** Fails unless {@code node} has every field path of {@code expected} (a renamed field is missing). */
    private static void pinned(JsonNode node, String shown, List<String> expected) {
        assertThat(paths(node)).as("%s: the AWS field names%n%s", shown, node).containsAll(expected);
    }

    private static List<String> prefixed(String prefix, List<String> paths) {
        return paths.stream().map(p -> prefix + p).toList();
    }

    /** Every field path of {@code node}: {@code A.B} into objects, {@code A[].B} through the items of arrays. */
    static Set<String> paths(JsonNode node) {
        Set<String> out = new TreeSet<>();
        collectPaths(node, "", out);
        return out;
    }

    private static void collectPaths(JsonNode node, String prefix, Set<String> out) {
        if (node.isObject()) {
            node.properties().forEach(e -> {
                String path = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
                out.add(path);
                collectPaths(e.getValue(), path, out);
            });
        } else if (node.isArray()) {
            node.forEach(item -> collectPaths(item, prefix + "[]", out));
        }
    }

    /** The command path of an argument list: the words up to the first that is not a subcommand. */
    private static String leafPath(String... args) {
        CommandLine command = Main.newCommandLine();
        List<String> path = new ArrayList<>();
        for (String arg : args) {
            CommandLine sub = command.getSubcommands().get(arg);
            if (sub == null) {
                break;
            }
            path.add(arg);
            command = sub;
        }
        return String.join(" ", path);
    }

    /** A value of the argument's type naming nothing that exists. */
    private String valueThatDoesNotExist(ArgSpec arg) {
        Class<?> type = arg.type();
        if (type == Path.class || type == java.io.File.class) {
            return dir.resolve("no-such-file").toString();
        }
        if (type == int.class || type == long.class || type == Integer.class || type == Long.class) {
            return "1";
        }
        if (type.getSimpleName().equals("Size")) {
            return "1M";
        }
        if (type.isEnum()) {
            return type.getEnumConstants()[0].toString();
        }
        String label = arg.paramLabel();
        if (label.contains("SNAP")) {
            return "snap-0123456789abcdef0";
        }
        if (label.contains("AMI") || label.contains("IMAGE")) {
            return "ami-0123456789abcdef0";
        }
        if (label.contains("INSTANCE")) {
            return "i-0123456789abcdef0";
        }
        return "no-such-thing";
    }

    private static void check(SoftAssertions soft, List<String> args) {
        CliRunner.Run run = CliRunner.run(args.toArray(String[]::new));
        String line = String.join(" ", args);
        String out = run.out().strip();
        soft.assertThat(out).as("%s: stdout (exit %d; stderr %s)", line, run.exitCode(), run.err()).isNotEmpty();
        try {
            JsonNode node = STRICT.readValue(out);
            soft.assertThat(node.isContainerNode()).as("%s: a JSON object or array: %s", line, out).isTrue();
            if (run.exitCode() != 0) {
                soft.assertThat(node.path("error").path("code").isTextual()).as("%s: error document: %s", line, out)
                        .isTrue();
            }
        } catch (java.io.IOException | RuntimeException e) {
            soft.fail("%s: stdout is not exactly one JSON document (%s):%n%s", line, e.getMessage(), out);
        }
        soft.assertThat(STACK_TRACE.matcher(run.err()).find()).as("%s: stack trace on stderr:%n%s", line, run.err())
                .isFalse();
    }

    private static void collectLeaves(CommandLine command, List<CommandSpec> out) {
        if (command.getSubcommands().isEmpty()) {
            out.add(command.getCommandSpec());
        }
        command.getSubcommands().values().forEach(sub -> collectLeaves(sub, out));
    }
}
