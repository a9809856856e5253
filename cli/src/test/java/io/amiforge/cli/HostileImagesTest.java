package io.amiforge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.qcow2.Qcow2Writer;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line under attack by image files: backing files that point at secrets, guest
 * disks that carry an image header, outputs aimed at the store. Each command that opens an
 * image gets the same rule from the library (docs/security.md, "Hostile images").
 */
class HostileImagesTest {

    private static final String SECRET = "ssh-rsa-TOP-SECRET-KEY";

    @TempDir
    Path dir;

    private Path store;
    private Path secret;

    @BeforeEach
    void layout() throws Exception {
        store = dir.resolve("state");
        Path privateDir = Files.createDirectories(dir.resolve("private"));
        secret = privateDir.resolve("id_rsa");
        byte[] bytes = new byte[1 << 20];
        byte[] text = SECRET.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (int i = 0; i + text.length <= bytes.length; i += 4096) {
            System.arraycopy(text, 0, bytes, i, text.length);
        }
        Files.write(secret, bytes);
    }

    private CliRunner.Run run(String... args) {
        List<String> full = new ArrayList<>(List.of("--store", store.toString()));
        full.addAll(Arrays.asList(args));
        return CliRunner.run(full.toArray(String[]::new));
    }

    /** A qcow2 file in {@code dir}/images whose header names {@code backing} as a raw backing file. */
    private Path evilImage(String backing) throws Exception {
        Path images = Files.createDirectories(dir.resolve("images"));
        Path image = images.resolve("evil.qcow2");
        Qcow2Writer.create(image, 1 << 20, CreateOptions.defaults().withBacking(backing, "raw")).close();
        return image;
    }

    /** A raw guest disk that starts with a qcow2 image naming the secret as its backing file. */
    private Path guestDisk() throws Exception {
        Path raw = Files.createDirectories(dir.resolve("images")).resolve("guest.raw");
        GuestDisks.withQcow2Header(raw, secret.toString());
        return raw;
    }

    private static void assertRefused(CliRunner.Run r, Path image, String backing) {
        assertThat(r.exitCode()).as(r.err()).isEqualTo(3);
        assertThat(r.err()).contains("amiforge: InvalidBackingChain: ", image.toString(), backing)
                .doesNotContain("Exception", "\tat ");
        assertThat(r.err() + r.out()).doesNotContain(SECRET);
    }

    @Test
    void everyCommandThatOpensAnImageRefusesABackingFileOutsideItsDirectory() throws Exception {
        Path image = evilImage(secret.toString());
        Path out = dir.resolve("out.raw");
        List<List<String>> commands = List.of(
                List.of("image", "info", image.toString()),
                List.of("image", "convert", image.toString(), out.toString(), "-O", "raw"),
                List.of("fs", "ls", image.toString()),
                List.of("fs", "cat", image.toString(), "/etc/passwd"),
                List.of("boot", image.toString(), "--mode", "hvm"),
                List.of("volume", "import", "stolen", image.toString()));
        for (List<String> command : commands) {
            for (List<String> format : List.of(List.<String>of(), List.of("-f", "qcow2"))) {
                List<String> args = new ArrayList<>(command);
                args.addAll(format);
                assertRefused(run(args.toArray(String[]::new)), image, secret.toString());
            }
        }
        assertThat(out).doesNotExist();
        assertThat(run("volume", "list", "--json").out()).doesNotContain("stolen");
    }

    @Test
    void dotDotSymlinksAndProcAreRefusedToo() throws Exception {
        Path image = evilImage("../private/id_rsa");
        assertRefused(run("image", "info", image.toString()), image, "../private/id_rsa");
        Files.delete(image);
        Files.createSymbolicLink(dir.resolve("images").resolve("innocent.raw"), secret);
        image = evilImage("innocent.raw");
        assertRefused(run("fs", "cat", image.toString(), "/x"), image, "innocent.raw");
        Files.delete(image);
        Files.createSymbolicLink(dir.resolve("images").resolve("env.raw"), Path.of("/proc/self/environ"));
        image = evilImage("env.raw");
        assertRefused(run("image", "info", image.toString(), "--json"), image, "env.raw");
    }

    @Test
    void aNamedFormatIsNotProbedSoAGuestWrittenHeaderStaysData() throws Exception {
        Path disk = guestDisk();
        assertRefused(run("image", "info", disk.toString()), disk, secret.toString()); // probed: looks like qcow2
        CliRunner.Run info = run("image", "info", "-f", "raw", disk.toString(), "--json");
        assertThat(info.exitCode()).as(info.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(info.out());
        assertThat(json.get("format").asText()).isEqualTo("raw");
        assertThat(json.get("backingChain")).hasSize(1);
        assertThat(json.get("virtualSize").asLong()).isEqualTo(Files.size(disk));

        Path copy = dir.resolve("copy.raw");
        CliRunner.Run convert = run("image", "convert", "--format", "raw", disk.toString(), copy.toString(), "-O", "raw");
        assertThat(convert.exitCode()).as(convert.err()).isZero();
        assertThat(Files.readAllBytes(copy)).isEqualTo(Files.readAllBytes(disk));

        CliRunner.Run unknown = run("image", "info", "-f", "vdi", disk.toString());
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).contains("unknown image format 'vdi'");
    }

    @Test
    void guestBytesThatLookLikeAnImageImportExportAndCloneAsThoseBytes() throws Exception {
        Path disk = guestDisk();
        byte[] bytes = Files.readAllBytes(disk);
        CliRunner.Run imported = run("volume", "import", "guest", disk.toString(), "-f", "raw");
        assertThat(imported.exitCode()).as(imported.err()).isZero();
        assertThat(readVolume("guest", bytes.length)).isEqualTo(bytes);

        Path exported = dir.resolve("exported.raw");
        CliRunner.Run export = run("volume", "export", "guest", "-O", "raw", "-o", exported.toString());
        assertThat(export.exitCode()).as(export.err()).isZero();
        assertThat(Files.readAllBytes(exported)).isEqualTo(bytes);

        CliRunner.Run snapshot = run("snapshot", "create", "guest", "--json");
        assertThat(snapshot.exitCode()).as(snapshot.err()).isZero();
        String id = new ObjectMapper().readTree(snapshot.out()).get("SnapshotId").asText();
        assertThat(run("volume", "clone", id, "twin").exitCode()).isZero();
        assertThat(readVolume("twin", bytes.length)).isEqualTo(bytes);
        Path flat = dir.resolve("snapshot.raw");
        assertThat(run("volume", "export", id, "-O", "raw", "-o", flat.toString()).exitCode()).isZero();
        assertThat(Files.readAllBytes(flat)).isEqualTo(bytes);
    }

    private byte[] readVolume(String name, int length) throws Exception {
        Path out = dir.resolve(name + ".read");
        CliRunner.Run read = run("volume", "read", name, "--offset", "0", "--length", String.valueOf(length), "-o", out.toString());
        assertThat(read.exitCode()).as(read.err()).isZero();
        return Files.readAllBytes(out);
    }

    @Test
    void theBackingDirectoryOptionAllowsAChainKeptElsewhere() throws Exception {
        Path library = Files.createDirectories(dir.resolve("library"));
        Path base = library.resolve("base.raw");
        byte[] data = new byte[1 << 20];
        new Random(3).nextBytes(data);
        Files.write(base, data);
        Path image = evilImage(base.toString());
        assertRefused(run("image", "info", image.toString()), image, base.toString());
        CliRunner.Run info = run("image", "info", image.toString(), "--backing-dir", library.toString(), "--json");
        assertThat(info.exitCode()).as(info.err()).isZero();
        assertThat(new ObjectMapper().readTree(info.out()).get("backingChain")).hasSize(2);
        Path flat = dir.resolve("flat.raw");
        assertThat(run("image", "convert", image.toString(), flat.toString(), "-O", "raw", "--backing-dir", library.toString())
                .exitCode()).isZero();
        assertThat(Files.readAllBytes(flat)).isEqualTo(data);
        // The backing directory widens the rule to that directory only.
        assertRefused(run("image", "info", image.toString(), "--backing-dir", dir.resolve("private").toString()),
                image, base.toString());
    }

    @Test
    void outputsInsideTheStoreAreRefused() throws Exception {
        assertThat(run("volume", "create", "v", "--size", "64K").exitCode()).isZero();
        Path raw = dir.resolve("small.raw");
        Files.write(raw, new byte[65536]);
        Path inside = store.resolve("regions").resolve("us-east-1").resolve("store").resolve("catalog.json");
        Path outside = Files.createDirectories(dir.resolve("out"));
        Path sneaky = Files.createSymbolicLink(outside.resolve("link"), store);
        List<Path> targets = List.of(inside, store.resolve("new.raw"), sneaky.resolve("x.raw"),
                outside.resolve("..").resolve("state").resolve("y.raw"));
        for (Path target : targets) {
            CliRunner.Run export = run("volume", "export", "v", "-O", "raw", "-o", target.toString());
            assertThat(export.exitCode()).as(target + ": " + export.err()).isEqualTo(2);
            assertThat(export.err()).contains("InvalidParameterValue", "inside the store directory");
            CliRunner.Run convert = run("image", "convert", raw.toString(), target.toString(), "-O", "qcow2");
            assertThat(convert.exitCode()).as(target + ": " + convert.err()).isEqualTo(2);
            assertThat(convert.err()).contains("inside the store directory");
        }
        assertThat(store.resolve("new.raw")).doesNotExist();
        assertThat(run("volume", "list").exitCode()).isZero();
    }

    @Test
    void aFailedConvertLeavesTheExistingTargetAndNoPartialFile() throws Exception {
        // A qcow2 whose last data cluster lies past the end of the (truncated) file: reading it fails mid-copy.
        Path source = dir.resolve("torn.qcow2");
        byte[] data = new byte[4 << 20];
        new Random(5).nextBytes(data);
        Path plain = dir.resolve("plain.raw");
        Files.write(plain, data);
        assertThat(run("image", "convert", plain.toString(), source.toString(), "-O", "qcow2").exitCode()).isZero();
        try (RandomAccessFile file = new RandomAccessFile(source.toFile(), "rw")) {
            file.setLength(file.length() - (1 << 20));
        }
        Path target = dir.resolve("precious.raw");
        Files.writeString(target, "the previous contents");
        CliRunner.Run convert = run("image", "convert", source.toString(), target.toString(), "-O", "raw");
        assertThat(convert.exitCode()).as(convert.out()).isNotZero();
        assertThat(convert.err()).contains("torn.qcow2").doesNotContain("\tat ");
        assertThat(Files.readString(target)).isEqualTo("the previous contents");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".partial"));
        }
    }
}
