package io.amiforge.cli.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.cli.CliRunner;
import io.amiforge.cli.GuestDisks;
import io.amiforge.cli.Main;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store volume whose first sector holds a qcow2 header is served over NBD as exactly its
 * bytes: nothing on the serving side looks at guest data to decide a format or a backing file.
 */
@Tag("interop")
class GuestBytesOverNbdTest {

    @TempDir
    Path dir;

    @Test
    void aVolumeThatLooksLikeQcow2IsServedAsItsBytes() throws Exception {
        String nbdcopy = Interop.tool("nbdcopy").toString();
        String store = dir.resolve("store").toString();
        Path disk = dir.resolve("guest.raw");
        byte[] bytes = GuestDisks.withQcow2Header(disk, "/etc/passwd");
        CliRunner.Run imported = CliRunner.run("volume", "import", "guest", disk.toString(), "-f", "raw", "--store", store);
        assertThat(imported.exitCode()).as(imported.err()).isZero();

        StringWriter out = new StringWriter();
        CompletableFuture<Integer> serving = CompletableFuture.supplyAsync(() -> Main.run(
                new PrintWriter(out, true), new PrintWriter(new StringWriter(), true),
                "nbd", "serve", "guest", "--listen", "127.0.0.1:0", "--store", store));
        try {
            Matcher port = null;
            for (int i = 0; i < 200 && port == null; i++) { // bounded: 20 s
                Matcher m = Pattern.compile("nbd://127\\.0\\.0\\.1:(\\d+)/guest").matcher(out.toString());
                if (m.find()) {
                    port = m;
                } else {
                    assertThat(serving.isDone()).as("serve ended early").isFalse();
                    Thread.sleep(100);
                }
            }
            assertThat(port).as("printed the export URI: " + out).isNotNull();
            Path copy = dir.resolve("copy.raw");
            Processes.run(List.of(nbdcopy, "nbd://127.0.0.1:" + port.group(1) + "/guest", copy.toString())).orFail();
            assertThat(Files.readAllBytes(copy)).isEqualTo(bytes);
        } finally {
            NbdServeCommand.requestStop();
            assertThat(serving.get(20, TimeUnit.SECONDS)).isZero();
        }
    }
}
