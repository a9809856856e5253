package io.amiforge.cli.fs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.amiforge.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class FsCommandTest {

    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Main.newCommandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void buildThenListAndCat() throws Exception {
        Path root = Files.createDirectories(dir.resolve("root/etc"));
        byte[] blob = new byte[3_000_000];
        new Random(9).nextBytes(blob);
        Files.write(root.resolve("blob"), blob);
        Files.writeString(root.resolve("hostname"), "box\n");
        Path kernel = dir.resolve("vmlinuz");
        Files.write(kernel, new byte[] {1, 2, 3});
        Path image = dir.resolve("disk.img");
        for (String scheme : new String[] {"mbr", "gpt", "none"}) {
            Run build = run("image", "build", dir.resolve("root").toString(), "-o", image.toString(), "--size", "32M",
                    "--partition", scheme, "--boot", "pv", "--kernel", kernel.toString(), "--json");
            assertThat(build.exit()).as(build.err()).isZero();
            assertThat(new ObjectMapper().readTree(build.out()).get("partitionTable").asText()).isEqualTo(scheme);

            Run ls = run("fs", "ls", image.toString(), "/etc", "--json");
            assertThat(ls.exit()).as(ls.err()).isZero();
            JsonNode entries = new ObjectMapper().readTree(ls.out()).get("Entries");
            assertThat(entries).hasSize(2);
            assertThat(entries.get(0).get("Name").asText()).isEqualTo("blob");
            assertThat(entries.get(0).get("Type").asText()).isEqualTo("file");
            assertThat(entries.get(0).get("Size").asLong()).isEqualTo(blob.length);
            assertThat(entries.get(0).get("Mode").asText()).matches("0[0-7]{3}");

            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            FsCatCommand.target = new PrintStream(bytes);
            try {
                Run cat = run("fs", "cat", image.toString(), "/etc/blob");
                assertThat(cat.exit()).as(cat.err()).isZero();
            } finally {
                FsCatCommand.target = null;
            }
            assertThat(bytes.toByteArray()).isEqualTo(blob);
        }
        Run text = run("fs", "ls", image.toString(), "/boot/grub");
        assertThat(text.out()).contains("-rw-r--r--").contains("menu.lst");
    }

    @Test
    void errorsFollowTheContract() throws Exception {
        Path image = dir.resolve("img");
        Files.write(image, new byte[1 << 20]);
        Run r = run("fs", "ls", image.toString(), "/");
        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.err()).startsWith("amiforge: InvalidFilesystem: ").contains("magic");
        Run missing = run("fs", "cat", dir.resolve("nope").toString(), "/x");
        assertThat(missing.exit()).isEqualTo(4);
        Path src = Files.createDirectories(dir.resolve("src"));
        Files.writeString(src.resolve("hello.txt"), "hello qcow2\n");
        Path qcowImage = dir.resolve("o.qcow2");
        Run qcow = run("image", "build", src.toString(), "-o", qcowImage.toString(), "--size", "16M", "-O", "qcow2");
        assertThat(qcow.exit()).as(qcow.err()).isZero();
        assertThat(Files.readAllBytes(qcowImage)).startsWith((byte) 'Q', (byte) 'F', (byte) 'I', (byte) 0xfb);
        assertThat(dir.resolve("o.qcow2.partial")).doesNotExist();
        Run catQcow = run("fs", "cat", qcowImage.toString(), "/hello.txt");
        assertThat(catQcow.exit()).as(catQcow.err()).isZero();
        Run badSize = run("image", "build", src.toString(), "-o", qcowImage.toString(), "--size", "1000", "-O", "qcow2");
        assertThat(badSize.exit()).isEqualTo(2);
        assertThat(Files.readAllBytes(qcowImage)).as("a failed build leaves the old image alone")
                .startsWith((byte) 'Q', (byte) 'F', (byte) 'I', (byte) 0xfb);
        Run noPart = run("fs", "ls", image.toString(), "/", "--partition", "3");
        assertThat(noPart.exit()).isIn(3, 4);
    }
}
