package io.amiforge.cli.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.cli.Main;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code store migrate}, {@code store verify --remote} and {@code store gc} against a {@code file:///} object store. */
class RemoteStoreCommandsTest {

    @TempDir
    Path dir;

    private record Result(int exit, String out, String err) {
    }

    private Result run(String store, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] full = new String[args.length + 2];
        full[0] = "--store";
        full[1] = dir.resolve(store).toString();
        System.arraycopy(args, 0, full, 2, args.length);
        int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), full);
        return new Result(exit, out.toString(), err.toString());
    }

    @Test
    void aStoreMigratesToAnObjectStoreAndBackAndVerifyNamesADamagedObject() throws Exception {
        String bucket = dir.resolve("bucket").toUri().toString();
        assertThat(run("a", "volume", "create", "web", "--size", "1M").exit()).isZero();
        byte[] data = new byte[20000];
        new Random(2).nextBytes(data);
        Path input = dir.resolve("in.bin");
        Files.write(input, data);
        assertThat(run("a", "volume", "write", "web", "--offset", "8192", "--input", input.toString()).exit()).isZero();
        String s1 = run("a", "snapshot", "create", "web").out().trim();
        assertThat(run("a", "volume", "write", "web", "--offset", "500000", "--input", input.toString()).exit()).isZero();
        String s2 = run("a", "snapshot", "create", "web").out().trim();

        Result up = run("a", "store", "migrate", "--from", dir.resolve("a").toString(), "--to", bucket, "--json");
        assertThat(up.exit()).as(up.err()).isZero();
        assertThat(up.out().replaceAll("\\s", "")).contains("\"Copied\":2").contains("\"Skipped\":0");
        Result again = run("a", "store", "migrate", "--from", dir.resolve("a").toString(), "--to", bucket);
        assertThat(again.out()).contains("copied 0 snapshots, 2 already there");
        assertThat(run("a", "store", "verify", "--remote", bucket).exit()).isZero();

        Result down = run("b", "store", "migrate", "--from", bucket, "--to", dir.resolve("b").toString());
        assertThat(down.exit()).as(down.err()).isZero();
        Result list = run("b", "snapshot", "list", "--json");
        assertThat(list.out()).contains("remote-snapshot").contains(s1).contains(s2);
        String copyOfS2 = null;
        for (com.fasterxml.jackson.databind.JsonNode s : new com.fasterxml.jackson.databind.ObjectMapper().readTree(list.out())
                .get("Snapshots")) {
            if (s2.equals(s.path("Attributes").path("remote-snapshot").asText())) {
                copyOfS2 = s.get("SnapshotId").asText();
            }
        }
        assertThat(copyOfS2).matches("snap-[0-9a-f]{17}");
        assertThat(run("b", "volume", "clone", copyOfS2, "copy").exit()).isZero();
        Path back = dir.resolve("back.bin");
        assertThat(run("b", "volume", "read", "copy", "--offset", "500000", "--length", "20000", "-o", back.toString()).exit()).isZero();
        assertThat(Files.readAllBytes(back)).isEqualTo(data);

        Path object;
        try (Stream<Path> files = Files.walk(dir.resolve("bucket/objects/layers"))) {
            object = files.filter(p -> p.toString().endsWith(s1 + ".pack")).findFirst().orElseThrow();
        }
        try (RandomAccessFile f = new RandomAccessFile(object.toFile(), "rw")) {
            f.seek(4096 + 10); // inside the first data block
            int b = f.read();
            f.seek(4096 + 10);
            f.write(b ^ 0xFF);
        }
        Result damaged = run("a", "store", "verify", "--remote", bucket);
        assertThat(damaged.exit()).isEqualTo(1);
        assertThat(damaged.out()).contains("layers/" + s1 + ".pack").contains("byte offset 4096");

        Files.write(dir.resolve("bucket/objects/layers/orphan.pack"), new byte[100]);
        Result gc = run("a", "store", "gc", bucket, "--grace", "0s");
        assertThat(gc.exit()).as(gc.err()).isZero();
        assertThat(gc.out()).contains("deleted layers/orphan.pack").contains("1 objects deleted");

        Result bad = run("a", "store", "migrate", "--from", bucket, "--to", "gopher://x");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("exactly one of --from");
    }
}
