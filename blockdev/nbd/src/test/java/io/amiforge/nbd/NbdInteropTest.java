package io.amiforge.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.FileBlockDevice;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real NBD clients (qemu-img, qemu-io from qemu-utils; nbdinfo, nbdcopy from libnbd-bin) against the server. */
@Tag("interop")
class NbdInteropTest {

    static final int SIZE = 16 << 20;

    @TempDir
    Path dir;
    final List<AutoCloseable> open = new ArrayList<>();
    NbdServer server;
    int port;

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    /** A 16 MiB sparse file: random data in [1 MiB, 1.5 MiB) and [9 MiB, 9 MiB + 4 KiB), holes elsewhere. */
    Path sparseImage(String name) throws IOException {
        Path file = dir.resolve(name);
        Random random = new Random(name.hashCode());
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(SIZE);
            byte[] a = new byte[512 * 1024];
            random.nextBytes(a);
            raf.seek(1 << 20);
            raf.write(a);
            byte[] b = new byte[4096];
            random.nextBytes(b);
            raf.seek(9 << 20);
            raf.write(b);
        }
        return file;
    }

    void serve(Path file, Path readOnlyFile) {
        FileBlockDevice disk = FileBlockDevice.open(file, false);
        open.add(disk);
        NbdServer.Builder builder = NbdServer.builder().listen("127.0.0.1", 0).export("disk", disk, false, "test disk");
        if (readOnlyFile != null) {
            FileBlockDevice snap = FileBlockDevice.open(readOnlyFile, true);
            open.add(snap);
            builder.export("snap", snap, true, "test snapshot");
        }
        server = builder.build();
        open.add(server);
        port = server.start();
    }

    String uri(String export) {
        return "nbd://127.0.0.1:" + port + "/" + export;
    }

    @Test
    void qemuImgConvertReadsExactlyTheExport() throws Exception {
        Path qemuImg = Interop.tool("qemu-img");
        Path image = sparseImage("disk.raw");
        serve(image, null);
        Path out = dir.resolve("out.raw");
        Processes.run(List.of(qemuImg.toString(), "convert", "-f", "raw", "-O", "raw", uri("disk"), out.toString()))
                .orFail();
        assertThat(Files.mismatch(image, out)).isEqualTo(-1);
    }

    @Test
    void qemuImgCompareAgreesWithTheFileAndSeesADifference() throws Exception {
        Path qemuImg = Interop.tool("qemu-img");
        Path image = sparseImage("disk.raw");
        serve(image, null);
        Path copy = dir.resolve("copy.raw");
        Files.copy(image, copy);
        Processes.run(List.of(qemuImg.toString(), "compare", "-f", "raw", "-F", "raw", uri("disk"), copy.toString()))
                .orFail();
        try (RandomAccessFile raf = new RandomAccessFile(copy.toFile(), "rw")) {
            raf.seek(5 << 20);
            raf.write(1);
        }
        Processes.Result differ = Processes.run(List.of(qemuImg.toString(), "compare", "-f", "raw", "-F", "raw",
                uri("disk"), copy.toString()));
        assertThat(differ.exitCode()).as(differ.output()).isEqualTo(1);
        assertThat(differ.output()).contains("5242880");
    }

    @Test
    void qemuIoWriteLandsAndSurvivesAServerRestartAfterFlush() throws Exception {
        Path qemuIo = Interop.tool("qemu-io");
        Path image = sparseImage("disk.raw");
        serve(image, null);
        Processes.run(List.of(qemuIo.toString(), "-f", "raw", "-c", "write -P 0xab 0 64k", "-c", "flush",
                uri("disk"))).orFail();
        // stop everything, open the file again from scratch
        stop();
        open.clear();
        byte[] head = new byte[65536];
        try (RandomAccessFile raf = new RandomAccessFile(image.toFile(), "r")) {
            raf.readFully(head);
        }
        byte[] expected = new byte[65536];
        Arrays.fill(expected, (byte) 0xab);
        assertThat(head).isEqualTo(expected);
        serve(image, null);
        Processes.Result read = Processes.run(List.of(qemuIo.toString(), "-f", "raw", "-c", "read -P 0xab 0 64k",
                "-c", "read -P 0 64k 960k", uri("disk"))).orFail();
        assertThat(read.output()).contains("read 65536/65536 bytes at offset 0").doesNotContain("Pattern verification failed");
    }

    @Test
    void nbdinfoMapShowsTheHolesOfASparseExport() throws Exception {
        Path nbdinfo = Interop.tool("nbdinfo");
        serve(sparseImage("disk.raw"), null);
        Processes.Result map = Processes.run(List.of(nbdinfo.toString(), "--map", uri("disk"))).orFail();
        List<String> rows = map.output().lines().map(String::trim).map(l -> l.replaceAll("\\s+", " ")).toList();
        assertThat(rows).containsExactly(
                "0 1048576 3 hole,zero",
                "1048576 524288 0 data",
                "1572864 7864320 3 hole,zero",
                "9437184 4096 0 data",
                "9441280 7335936 3 hole,zero");
    }

    @Test
    void nbdinfoListListsEveryExport() throws Exception {
        Path nbdinfo = Interop.tool("nbdinfo");
        Path image = sparseImage("disk.raw");
        serve(image, sparseImage("snap.raw"));
        Processes.Result list = Processes.run(List.of(nbdinfo.toString(), "--list", "nbd://127.0.0.1:" + port)).orFail();
        assertThat(list.output()).contains("export=\"disk\"", "export=\"snap\"", "description: test snapshot",
                "export-size: " + SIZE, "base:allocation");
        assertThat(list.output().lines().filter(l -> l.contains("is_read_only: true")).count()).isEqualTo(1);
    }

    @Test
    void nbdcopyCopiesInBothDirections() throws Exception {
        Path nbdcopy = Interop.tool("nbdcopy");
        Path image = sparseImage("disk.raw");
        serve(image, null);
        Path out = dir.resolve("out.raw");
        Processes.run(List.of(nbdcopy.toString(), uri("disk"), out.toString())).orFail();
        assertThat(Files.mismatch(image, out)).isEqualTo(-1);
        Path source = dir.resolve("source.raw");
        byte[] data = new byte[SIZE];
        new Random(5).nextBytes(data);
        Files.write(source, data);
        Processes.run(List.of(nbdcopy.toString(), "--flush", source.toString(), uri("disk"))).orFail();
        assertThat(Files.mismatch(source, image)).isEqualTo(-1);
    }

    /**
     * nbdcopy keeps 64 reads of 256 KiB in flight on each of its connections; with a 1 MiB
     * connection limit every connection pauses and resumes over and over while replies queue.
     * Resuming once hung the server (the event loop spun re-arming its wait for the outbound
     * buffer to drain): by hand, the third or fourth copy of 128 MiB never finished.
     */
    @Test
    void nbdcopyFinishesWhenEveryConnectionKeepsHittingItsBufferLimit() throws Exception {
        Path nbdcopy = Interop.tool("nbdcopy");
        Path image = dir.resolve("dense.raw");
        byte[] block = new byte[1 << 20];
        new Random(7).nextBytes(block);
        try (OutputStream out = Files.newOutputStream(image)) {
            for (int i = 0; i < 128; i++) {
                out.write(block);
            }
        }
        FileBlockDevice disk = FileBlockDevice.open(image, false);
        open.add(disk);
        server = NbdServer.builder().listen("127.0.0.1", 0).connectionBufferLimit(1 << 20)
                .export("disk", disk, false, null).build();
        open.add(server);
        port = server.start();
        Path copy = dir.resolve("copy.raw");
        Processes.command(List.of(nbdcopy.toString(), uri("disk"), copy.toString()))
                .deadline(Duration.ofSeconds(60)).run().orFail();
        assertThat(Files.mismatch(image, copy)).isEqualTo(-1);
        Files.delete(copy);
        for (int i = 0; i < 6; i++) {
            Processes.command(List.of(nbdcopy.toString(), uri("disk"), "null:"))
                    .deadline(Duration.ofSeconds(60)).run().orFail();
        }
    }

    @Test
    void readOnlyExportRefusesQemuIoWrites() throws Exception {
        Path qemuIo = Interop.tool("qemu-io");
        Path snap = sparseImage("snap.raw");
        byte[] before = Files.readAllBytes(snap);
        serve(sparseImage("disk.raw"), snap);
        Processes.Result write = Processes.run(List.of(qemuIo.toString(), "-f", "raw", "-c", "write -P 0xcd 0 4k",
                uri("snap")));
        assertThat(write.exitCode()).as(write.output()).isNotZero();
        assertThat(write.output()).containsIgnoringCase("permission denied");
        assertThat(Files.readAllBytes(snap)).isEqualTo(before);
    }

    @Test
    void malformedRequestOnARawSocketClosesOnlyThatConnection() throws Exception {
        Path qemuImg = Interop.tool("qemu-img");
        Path image = sparseImage("disk.raw");
        byte[] before = Files.readAllBytes(image);
        serve(image, null);
        try (NbdTestClient held = new NbdTestClient(port); Socket raw = new Socket()) {
            held.go("disk", true, true); // a healthy connection that stays open throughout
            raw.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            raw.setSoTimeout(10_000);
            InputStream in = raw.getInputStream();
            OutputStream out = raw.getOutputStream();
            in.readNBytes(18); // greeting
            out.write(new byte[] {0, 0, 0, 3});
            out.write("this is not an NBD option header at all".getBytes());
            out.flush();
            assertThat(in.read()).as("server closed the malformed connection").isEqualTo(-1);
            Path out2 = dir.resolve("out.raw");
            Processes.run(List.of(qemuImg.toString(), "convert", "-f", "raw", "-O", "raw", uri("disk"), out2.toString()))
                    .orFail();
            assertThat(Files.readAllBytes(out2)).isEqualTo(before);
            held.request(0, 0, 1, 1 << 20, 4096, null);
            NbdTestClient.Reply r = held.reply(0);
            assertThat(Arrays.copyOfRange(r.payload(), 8, r.payload().length))
                    .isEqualTo(Arrays.copyOfRange(before, 1 << 20, (1 << 20) + 4096));
        }
        assertThat(Files.readAllBytes(image)).isEqualTo(before);
    }

    @Test
    void memoryExportServesWhatWasWritten() throws Exception {
        Path qemuImg = Interop.tool("qemu-img");
        var mem = new io.amiforge.blockdev.MemoryBlockDevice("mem", 4 << 20);
        byte[] data = new byte[100_000];
        new Random(3).nextBytes(data);
        mem.write(777, MemorySegment.ofArray(data));
        open.add(mem);
        server = NbdServer.builder().listen("127.0.0.1", 0).export("mem", mem, false, null).build();
        open.add(server);
        port = server.start();
        Path out = dir.resolve("mem.raw");
        Processes.run(List.of(qemuImg.toString(), "convert", "-f", "raw", "-O", "raw", uri("mem"), out.toString())).orFail();
        byte[] back = Files.readAllBytes(out);
        assertThat(back).hasSize(4 << 20);
        assertThat(Arrays.copyOfRange(back, 777, 777 + data.length)).isEqualTo(data);
        assertThat(Arrays.copyOfRange(back, 0, 777)).containsOnly(0);
    }
}
