package io.amiforge.examples.nbdexport;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.nbd.NbdServer;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real NBD clients (qemu-img, qemu-io from qemu-utils; nbdinfo from libnbd-bin) read the computed export. */
@Tag("interop")
class NbdExportExampleTest {

    static final long SIZE = 8L << 20;
    static final long STRIPE = 1L << 20;
    static final long SEED = 0x5EED_0000_0000_0000L;

    @TempDir
    Path dir;
    StripeDevice device;
    NbdServer server;

    @BeforeEach
    void serve() {
        device = new StripeDevice("stripes", SIZE, STRIPE, SEED);
        server = NbdExportExample.serve(device, "127.0.0.1", 0);
    }

    @AfterEach
    void stop() {
        server.close();
        device.close();
    }

    String uri() {
        return "nbd://127.0.0.1:" + server.port() + "/" + NbdExportExample.EXPORT;
    }

    @Test
    void qemuImgCopiesExactlyTheComputedBytes() throws Exception {
        Path qemuImg = Interop.tool("qemu-img");
        Path out = dir.resolve("stripes.raw");
        Processes.run(List.of(qemuImg.toString(), "convert", "-f", "raw", "-O", "raw", uri(), out.toString())).orFail();
        assertThat(Files.readAllBytes(out)).isEqualTo(StripeDeviceTest.expected(SIZE, STRIPE, SEED));
    }

    @Test
    void nbdinfoSeesTheExportAndItsHoles() throws Exception {
        Path nbdinfo = Interop.tool("nbdinfo");
        Processes.Result info = Processes.run(List.of(nbdinfo.toString(), uri())).orFail();
        assertThat(info.output()).contains("export-size: " + SIZE, "is_read_only: true",
                "description: computed stripes, odd ones are holes");
        Processes.Result map = Processes.run(List.of(nbdinfo.toString(), "--map", uri())).orFail();
        List<String> rows = map.output().lines().map(String::trim).map(l -> l.replaceAll("\\s+", " ")).toList();
        assertThat(rows).hasSize((int) (SIZE / STRIPE));
        for (int i = 0; i < rows.size(); i++) {
            String expected = (i * STRIPE) + " " + STRIPE + (i % 2 == 0 ? " 0 data" : " 3 hole,zero");
            assertThat(rows.get(i)).isEqualTo(expected);
        }
    }

    @Test
    void writesAreRefusedToTheClient() throws Exception {
        Path qemuIo = Interop.tool("qemu-io");
        Processes.Result write = Processes.run(List.of(qemuIo.toString(), "-f", "raw", "-c", "write -P 0xcd 0 4k", uri()));
        assertThat(write.exitCode()).as(write.output()).isNotZero();
        assertThat(write.output()).containsIgnoringCase("permission denied");
        Processes.Result read = Processes.run(List.of(qemuIo.toString(), "-f", "raw", "-r", "-c", "read -P 0 1M 1M", uri()))
                .orFail();
        assertThat(read.output()).contains("read 1048576/1048576 bytes at offset 1048576")
                .doesNotContain("Pattern verification failed");
    }
}
