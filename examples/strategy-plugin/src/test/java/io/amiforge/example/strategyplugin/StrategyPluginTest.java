package io.amiforge.example.strategyplugin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.amiforge.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example plug-in through the real command line: its jar (built before the tests, and kept
 * off the test class path) is put in a plug-in directory, found by {@code store strategies},
 * used to create a volume that is written, snapshotted and read back, and missed by a process
 * that does not have it on its plug-in path.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StrategyPluginTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One plug-in directory for the whole class: a JVM loads a plug-in once, from one place. */
    @TempDir
    static Path pluginsDir;
    private static Path copy;

    @TempDir
    Path dir;

    @BeforeAll
    static void copyThePlugInJar() throws Exception {
        Path jar = Path.of(System.getProperty("amiforge.example.plugin.jar"));
        assertThat(jar).as("the plug-in jar is built before the tests").isRegularFile();
        copy = Files.copy(jar, pluginsDir.resolve(jar.getFileName()));
    }

    private record Run(int exit, String out, String err) {
    }

    private Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> full = new ArrayList<>(List.of("--store", dir.resolve("state").toString()));
        full.addAll(Arrays.asList(args));
        int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), full.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString());
    }

    private static JsonNode provider(JsonNode listing, String name) {
        for (JsonNode p : listing.get("Providers")) {
            if (p.get("Name").asText().equals(name)) {
                return p;
            }
        }
        return null;
    }

    @Test
    @Order(1) // first: it starts by checking that this JVM has not loaded the plug-in yet
    void thePlugInIsListedAndAVolumeMadeWithItKeepsItsData() throws Exception {
        Path plugins = pluginsDir;

        // without the plug-in path the strategy is unknown: not listed, and refused with the known names
        Run before = run("store", "strategies", "--json");
        assertThat(before.exit()).as(before.err()).isZero();
        assertThat(provider(JSON.readTree(before.out()), "counting_cow")).isNull();
        Run refused = run("volume", "create", "v", "--size", "1M", "--write-strategy", "counting_cow");
        assertThat(refused.exit()).isEqualTo(2);
        assertThat(refused.err()).contains("counting_cow").contains("row, cow");

        Run listed = run("--plugin-path", plugins.toString(), "store", "strategies", "--json");
        assertThat(listed.exit()).as(listed.err()).isZero();
        JsonNode listing = JSON.readTree(listed.out());
        JsonNode plugin = provider(listing, "counting_cow");
        assertThat(plugin).as(listed.out()).isNotNull();
        assertThat(plugin.get("Kind").asText()).isEqualTo("write-strategy");
        assertThat(plugin.get("Origin").asText()).isEqualTo(copy.toAbsolutePath().toString());
        assertThat(plugin.get("Description").asText()).contains("counts");
        assertThat(provider(listing, "row").get("Origin").asText()).isEqualTo("built-in");
        assertThat(provider(listing, "qcow2").get("Kind").asText()).isEqualTo("image-format");

        Run help = run("--plugin-path", plugins.toString(), "volume", "create", "--help");
        assertThat(help.out()).contains("row, cow, counting_cow");

        Run created = run("--plugin-path", plugins.toString(), "volume", "create", "v", "--size", "1M",
                "--write-strategy", "counting_cow", "--json");
        assertThat(created.exit()).as(created.err()).isZero();
        assertThat(JSON.readTree(created.out()).get("WriteStrategy").asText()).isEqualTo("counting_cow");

        byte[] first = new byte[3 * 4096];
        new Random(1).nextBytes(first);
        Path input = dir.resolve("first.bin");
        Files.write(input, first);
        Run wrote = run("--plugin-path", plugins.toString(), "volume", "write", "v", "--offset", "8192",
                "--input", input.toString(), "--json");
        assertThat(wrote.exit()).as(wrote.err()).isZero();
        JsonNode counters = JSON.readTree(wrote.out()).get("Stats").get("StrategyCounters");
        assertThat(counters.get("counting_cow.writes").asLong()).isEqualTo(3);
        assertThat(counters.get("counting_cow.copyOuts").asLong()).isZero();

        Run snap = run("--plugin-path", plugins.toString(), "snapshot", "create", "v");
        assertThat(snap.exit()).as(snap.err()).isZero();
        String snapshot = snap.out().trim();

        byte[] second = new byte[4096];
        new Random(2).nextBytes(second);
        Files.write(input, second);
        wrote = run("--plugin-path", plugins.toString(), "volume", "write", "v", "--offset", "12288",
                "--input", input.toString(), "--json");
        assertThat(wrote.exit()).as(wrote.err()).isZero();
        counters = JSON.readTree(wrote.out()).get("Stats").get("StrategyCounters");
        assertThat(counters.get("counting_cow.copyOuts").asLong()).as("the overwrite copied the snapshot's block out").isEqualTo(1);

        byte[] expected = first.clone();
        System.arraycopy(second, 0, expected, 4096, 4096);
        Path output = dir.resolve("out.bin");
        Run read = run("--plugin-path", plugins.toString(), "volume", "read", "v", "--offset", "8192", "--length", "12288",
                "-o", output.toString());
        assertThat(read.exit()).as(read.err()).isZero();
        assertThat(Files.readAllBytes(output)).isEqualTo(expected);

        Run cloned = run("--plugin-path", plugins.toString(), "volume", "clone", snapshot, "w");
        assertThat(cloned.exit()).as(cloned.err()).isZero();
        read = run("--plugin-path", plugins.toString(), "volume", "read", "w", "--offset", "8192", "--length", "12288",
                "-o", output.toString());
        assertThat(read.exit()).as(read.err()).isZero();
        assertThat(Files.readAllBytes(output)).as("the snapshot kept the first contents").isEqualTo(first);

        Run info = run("--plugin-path", plugins.toString(), "volume", "info", "v", "--json");
        assertThat(info.exit()).as(info.err()).isZero();
        assertThat(JSON.readTree(info.out()).get("Strategies").get(0).get("Origin").asText())
                .isEqualTo(copy.toAbsolutePath().toString());
    }

    @Test
    @Order(2)
    void aProcessWithoutThePlugInNamesTheVolumeAndTheMissingStrategy() throws Exception {
        Run created = run("--plugin-path", pluginsDir.toString(), "volume", "create", "lonely", "--size", "64K",
                "--write-strategy", "counting_cow");
        assertThat(created.exit()).as(created.err()).isZero();

        // a fresh JVM has only the built-ins (this one keeps what it loaded)
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "--store", dir.resolve("state").toString(), "volume", "read", "lonely", "--offset", "0", "--length", "512",
                "-o", dir.resolve("x").toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.PIPE).start();
        String err = new String(p.getErrorStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(err).isEqualTo(4);
        assertThat(err).contains("InvalidStrategy.NotFound").contains("volume 'lonely'")
                .contains("write-strategy 'counting_cow'").contains("--plugin-path");
    }
}
