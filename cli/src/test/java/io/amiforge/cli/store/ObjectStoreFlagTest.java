package io.amiforge.cli.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --store URL}: snapshots on an object store ({@code file:///} here; the same code runs on
 * S3, tested on Ceph in store-s3), each host's volumes in its {@code --host-dir}. One host
 * snapshots, another lists, clones and reads the same bytes; sharing and deleting follow the
 * owner rules; what the object store cannot do is refused by name.
 */
class ObjectStoreFlagTest {

    @TempDir
    Path dir;

    private record Result(int exit, String out, String err) {
    }

    private Result run(String host, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] full = new String[args.length + 4];
        full[0] = "--store";
        full[1] = dir.resolve("bucket").toUri().toString();
        full[2] = "--host-dir";
        full[3] = dir.resolve(host).toString();
        System.arraycopy(args, 0, full, 4, args.length);
        int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), full);
        return new Result(exit, out.toString(), err.toString());
    }

    private Result ok(String host, String... args) {
        Result r = run(host, args);
        assertThat(r.exit()).as("%s: %s", String.join(" ", args), r.err()).isZero();
        return r;
    }

    @Test
    void oneHostSnapshotsToTheObjectStoreAndAnotherClonesAndReadsIt() throws Exception {
        byte[] data = new byte[30000];
        new Random(5).nextBytes(data);
        Path input = dir.resolve("in.bin");
        Files.write(input, data);
        ok("a", "volume", "create", "web", "--size", "1M");
        ok("a", "volume", "write", "web", "--offset", "4096", "--input", input.toString());
        String snap = ok("a", "snapshot", "create", "web", "--description", "published").out().trim();
        assertThat(snap).matches("snap-[0-9a-f]{17}");
        assertThat(Files.exists(dir.resolve("bucket/objects/layers/" + snap + ".pack"))).as("the layer is an object").isTrue();

        assertThat(ok("b", "snapshot", "list").out()).contains(snap).contains("published");
        ok("b", "volume", "clone", snap, "copy");
        Path back = dir.resolve("back.bin");
        ok("b", "volume", "read", "copy", "--offset", "4096", "--length", "30000", "-o", back.toString());
        assertThat(Files.readAllBytes(back)).isEqualTo(data);

        // another account sees nothing until the owner shares it
        assertThat(run("c", "--account", "444455556666", "snapshot", "list").out()).doesNotContain(snap);
        assertThat(run("c", "--account", "444455556666", "volume", "clone", snap, "x").exit()).isNotZero();
        ok("a", "snapshot", "permission", snap, "--add", "444455556666");
        assertThat(ok("c", "--account", "444455556666", "snapshot", "list").out()).contains(snap).contains("shared by");
        ok("c", "--account", "444455556666", "volume", "clone", snap, "theirs");

        Result diff = run("a", "snapshot", "diff", snap, snap);
        assertThat(diff.exit()).isEqualTo(2);
        assertThat(diff.err()).contains("local store only");

        assertThat(run("c", "--account", "444455556666", "snapshot", "delete", snap).exit()).as("not the owner").isNotZero();
        ok("a", "snapshot", "delete", snap);
        assertThat(ok("b", "snapshot", "list").out()).doesNotContain(snap);
    }
}
