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
        assertThat(ok(covered, "man", "image", "convert").get("manPage").asText()).contains(".SH NAME");
        assertThat(ok(covered, "completion").get("script").asText()).contains("complete -F");
        ok(covered, "fs", "ls", disk, "/etc");
        JsonNode cat = ok(covered, "fs", "cat", disk, "/etc/motd");
        assertThat(new String(java.util.Base64.getDecoder().decode(cat.get("contentBase64").asText())))
                .isEqualTo("hello from the JSON test\n");
        ok(covered, "boot", disk, "--mode", "hvm");
        ok(covered, "volume", "create", "blank", "--size", "1M");
        ok(covered, "volume", "import", "web", disk);
        ok(covered, "volume", "write", "blank", "--offset", "0", "--input", bytes);
        ok(covered, "volume", "info", "blank");
        JsonNode read = ok(covered, "volume", "read", "blank", "--offset", "0", "--length", "4");
        assertThat(java.util.Base64.getDecoder().decode(read.get("contentBase64").asText())).containsExactly(1, 2, 3, 4);
        ok(covered, "volume", "list");
        ok(covered, "store", "strategies");
        assertThat(ok(covered, "account", "create-key").get("AccessKey").get("AccessKeyId").asText()).isNotBlank();
        String root0 = ok(covered, "snapshot", "create", "web", "--description", "base").get("snapshotId").asText();
        String first = ok(covered, "snapshot", "create", "blank").get("snapshotId").asText();
        ok(covered, "volume", "write", "blank", "--offset", "4096", "--input", bytes);
        String second = ok(covered, "snapshot", "create", "blank").get("snapshotId").asText();
        ok(covered, "snapshot", "list");
        ok(covered, "snapshot", "diff", first, second);
        ok(covered, "snapshot", "permission", root0, "--add", "444455556666");
        ok(covered, "volume", "clone", root0, "web-clone");
        ok(covered, "volume", "rollback", "blank", first);
        Files.createDirectories(dir.resolve("out"));
        ok(covered, "volume", "export", "web", "-o", dir.resolve("out/web.raw").toString());
        ok(covered, "store", "verify");
        String bucket = dir.resolve("bucket").toUri().toString();
        ok(covered, "store", "migrate", "--from", dir.resolve("store").toString(), "--to", bucket);
        ok(covered, "store", "gc", bucket, "--grace", "0s");
        String ami = ok(covered, "ami", "register", "--name", "web", "--root-snapshot", root0, "--virtualization", "hvm")
                .get("ImageId").asText();
        ok(covered, "ami", "describe", "--owner", "self");
        ok(covered, "ami", "import-image", disk, "--name", "imported");
        ok(covered, "ami", "launch-permission", ami, "--add", "444455556666");
        ok(covered, "ami", "reset-launch-permission", ami);
        String instance = ok(covered, "instance", "run", ami, "--type", "t3.micro").get("instanceId").asText();
        ok(covered, "instance", "describe", instance);
        ok(covered, "instance", "console", instance);
        Path png = dir.resolve("out/screen.png");
        JsonNode shot = ok(covered, "instance", "screenshot", instance, "--out", png.toString());
        assertThat(shot.get("Width").asInt()).isEqualTo(640);
        assertThat(shot.get("Screen").size()).as("25 text rows").isEqualTo(25);
        assertThat(Files.readAllBytes(png)).startsWith(0x89, 'P', 'N', 'G').hasSize(shot.get("Bytes").asInt());
        ok(covered, "instance", "reboot", instance);
        ok(covered, "instance", "stop", instance);
        ok(covered, "instance", "start", instance);
        ok(covered, "ami", "create-image", instance, "--name", "captured", "--no-reboot");
        ok(covered, "ami", "copy", ami, "--to-region", "us-west-2");
        ok(covered, "instance", "terminate", instance);
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
