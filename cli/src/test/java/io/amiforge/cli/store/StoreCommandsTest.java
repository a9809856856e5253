package io.amiforge.cli.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.cli.Main;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The volume / snapshot / store commands, run in-process against a temporary store. */
class StoreCommandsTest {

    @TempDir
    Path dir;

    private record Result(int exit, String out, String err) {
    }

    private Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] full = new String[args.length + 2];
        full[0] = "--store";
        full[1] = dir.resolve("state").toString();
        System.arraycopy(args, 0, full, 2, args.length);
        int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), full);
        return new Result(exit, out.toString(), err.toString());
    }

    @Test
    void volumeLifecycleThroughTheCommandLine() throws Exception {
        Result created = run("volume", "create", "web", "--size", "1M", "--json");
        assertThat(created.exit()).as(created.err()).isZero();
        assertThat(created.out()).contains("\"VolumeId\"").containsPattern("vol-[0-9a-f]{17}");

        byte[] data = new byte[10000];
        new Random(1).nextBytes(data);
        Path input = dir.resolve("in.bin");
        Files.write(input, data);
        assertThat(run("volume", "write", "web", "--offset", "4096", "--input", input.toString()).exit()).isZero();

        Result snap1 = run("snapshot", "create", "web", "--description", "first");
        assertThat(snap1.exit()).isZero();
        String s1 = snap1.out().trim();
        assertThat(s1).matches("snap-[0-9a-f]{17}");

        Files.write(input, new byte[] {1, 2, 3});
        assertThat(run("volume", "write", "web", "--offset", "100000", "--input", input.toString()).exit()).isZero();
        Result snap2 = run("snapshot", "create", "web", "--json");
        assertThat(snap2.out()).contains("\"SnapshotId\"");
        String s2 = snap2.out().replaceAll("(?s).*\"SnapshotId\" : \"(snap-[0-9a-f]{17})\".*", "$1");

        Result diff = run("snapshot", "diff", s1, s2, "--json");
        assertThat(diff.exit()).as(diff.err()).isZero();
        assertThat(diff.out().replaceAll("\\s", "")).contains("\"BlockSize\":4096").contains("\"ChangedBlocks\":[24]");

        Path readBack = dir.resolve("out.bin");
        assertThat(run("volume", "read", "web", "--offset", "4096", "--length", "10000", "-o", readBack.toString()).exit()).isZero();
        assertThat(Files.readAllBytes(readBack)).isEqualTo(data);

        assertThat(run("volume", "clone", s1, "copy").exit()).isZero();
        Path exported = dir.resolve("copy.raw");
        assertThat(run("volume", "export", "copy", "-o", exported.toString(), "-O", "raw").exit()).isZero();
        byte[] raw = Files.readAllBytes(exported);
        assertThat(raw).hasSize(1 << 20);
        assertThat(Arrays.copyOfRange(raw, 4096, 14096)).isEqualTo(data);
        assertThat(raw[100000]).isZero();

        assertThat(run("volume", "rollback", "web", s1).exit()).isZero();
        assertThat(run("volume", "read", "web", "--offset", "100000", "--length", "3", "-o", readBack.toString()).exit()).isZero();
        assertThat(Files.readAllBytes(readBack)).containsOnly(0);

        Result list = run("volume", "list", "--json");
        assertThat(list.out()).contains("\"web\"").contains("\"copy\"");
        assertThat(run("snapshot", "list").out()).contains(s1).contains(s2);
        assertThat(run("store", "verify").exit()).isZero();
        assertThat(run("snapshot", "delete", s1).exit()).isZero();
        assertThat(run("volume", "delete", "copy").exit()).isZero();
        assertThat(run("volume", "list").out()).doesNotContain("copy");
    }

    @Test
    void importsARawFile() throws Exception {
        byte[] image = new byte[3 * 4096 + 100];
        Arrays.fill(image, 4096, 8192, (byte) 9);
        Path file = dir.resolve("disk.raw");
        Files.write(file, image);
        assertThat(run("volume", "import", "disk", file.toString()).exit()).isZero();
        Path back = dir.resolve("back.raw");
        assertThat(run("volume", "export", "disk", "-o", back.toString()).exit()).isZero();
        byte[] exported = Files.readAllBytes(back);
        assertThat(exported).hasSize(4 * 4096);
        assertThat(Arrays.copyOf(exported, image.length)).isEqualTo(image);
    }

    @Test
    void errorsFollowTheContract() throws Exception {
        Result missing = run("volume", "read", "nope", "--offset", "0", "--length", "1");
        assertThat(missing.exit()).isEqualTo(4);
        assertThat(missing.err()).startsWith("amiforge: InvalidVolume.NotFound: ").contains("nope");

        Result json = run("snapshot", "delete", "snap-00000000000000000", "--json");
        assertThat(json.exit()).isEqualTo(4);
        assertThat(json.out()).contains("\"code\" : \"InvalidSnapshot.NotFound\"");

        Result badStrategy = run("volume", "create", "x", "--size", "1M", "--write-strategy", "zfs");
        assertThat(badStrategy.exit()).isEqualTo(2);

        run("volume", "create", "a", "--size", "64K");
        Result dup = run("volume", "create", "a", "--size", "64K");
        assertThat(dup.exit()).isEqualTo(3);
        assertThat(dup.err()).contains("InvalidVolume.Duplicate");

        run("volume", "create", "b", "--size", "64K");
        String sa = run("snapshot", "create", "a").out().trim();
        String sb = run("snapshot", "create", "b").out().trim();
        Result unrelated = run("snapshot", "diff", sa, sb);
        assertThat(unrelated.exit()).isEqualTo(3);
        assertThat(unrelated.err()).contains("not in one lineage");
    }

    @Test
    void verifyExitsOneOnDamage() throws Exception {
        Path input = dir.resolve("in.bin");
        byte[] data = new byte[4096];
        Arrays.fill(data, (byte) 5);
        Files.write(input, data);
        run("volume", "create", "d", "--size", "64K");
        run("volume", "write", "d", "--offset", "0", "--input", input.toString());
        String snap = run("snapshot", "create", "d").out().trim();
        Path layers = StoreAccess.storeDir(dir.resolve("state"), "us-east-1").resolve("layers");
        Path dat;
        try (var files = Files.list(layers)) {
            dat = files.filter(p -> p.toString().endsWith(".dat")).filter(p -> p.toFile().length() > 0).findFirst().orElseThrow();
        }
        try (RandomAccessFile f = new RandomAccessFile(dat.toFile(), "rw")) {
            f.seek(7);
            f.write(6);
        }
        Result verify = run("store", "verify", "--json");
        assertThat(verify.exit()).isEqualTo(1);
        assertThat(verify.out()).contains(snap).contains("\"Block\" : 0");
        Result read = run("volume", "read", "d", "--offset", "0", "--length", "10", "-o", dir.resolve("x").toString());
        assertThat(read.exit()).isEqualTo(3);
        assertThat(read.err()).contains("CorruptData").contains(snap).contains("block 0");
    }
}
