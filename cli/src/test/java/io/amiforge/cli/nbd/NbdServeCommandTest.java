package io.amiforge.cli.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.amiforge.cli.Main;
import java.io.DataInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NbdServeCommandTest {

    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void servesARawFileUntilStoppedAndPrintsWhereItListens() throws Exception {
        Path disk = dir.resolve("disk.raw");
        Files.write(disk, new byte[1 << 20]);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CompletableFuture<Integer> serving = CompletableFuture.supplyAsync(() -> Main.run(
                new PrintWriter(out, true), new PrintWriter(err, true),
                "nbd", "serve", "--json", "disk=" + disk, "--listen", "127.0.0.1:0"));
        JsonNode printed = null;
        for (int i = 0; i < 200 && printed == null; i++) { // bounded: 20 s
            String text = out.toString();
            if (text.contains("}")) {
                printed = new ObjectMapper().readTree(text);
            } else {
                assertThat(serving.isDone()).as("serve ended early: " + err).isFalse();
                Thread.sleep(100);
            }
        }
        assertThat(printed).as("printed the listen address").isNotNull();
        int port = printed.get("Port").asInt();
        assertThat(printed.get("Listen").asText()).isEqualTo("127.0.0.1:" + port);
        assertThat(printed.get("Exports").get(0).get("Uri").asText()).isEqualTo("nbd://127.0.0.1:" + port + "/disk");
        assertThat(printed.get("Exports").get(0).get("Size").asLong()).isEqualTo(1 << 20);
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(5000);
            DataInputStream in = new DataInputStream(socket.getInputStream());
            assertThat(in.readLong()).as("NBDMAGIC").isEqualTo(0x4e42444d41474943L);
        }
        NbdServeCommand.requestStop();
        assertThat(serving.get(20, TimeUnit.SECONDS)).isZero();
    }

    @Test
    void connectionLimitAndIdleTimeoutComeFromTheCommandLine() throws Exception {
        Path disk = dir.resolve("disk.raw");
        Files.write(disk, new byte[1 << 20]);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CompletableFuture<Integer> serving = CompletableFuture.supplyAsync(() -> Main.run(
                new PrintWriter(out, true), new PrintWriter(err, true), "nbd", "serve", "--json", "disk=" + disk,
                "--listen", "127.0.0.1:0", "--max-connections", "1", "--idle-timeout", "2"));
        try {
            int port = awaitPort(out, err, serving);
            try (Socket first = connect(port)) {
                DataInputStream in = new DataInputStream(first.getInputStream());
                assertThat(in.readLong()).as("NBDMAGIC").isEqualTo(0x4e42444d41474943L); // counted now
                in.skipNBytes(10); // rest of the greeting
                first.getOutputStream().write(new byte[] {0, 0, 0, 3}); // client flags: not idle yet
                try (Socket second = connect(port)) {
                    assertThat(second.getInputStream().read()).as("over the limit: closed at once").isEqualTo(-1);
                }
                assertThat(in.read()).as("idle for the timeout: closed").isEqualTo(-1);
            }
        } finally {
            NbdServeCommand.requestStop();
            assertThat(serving.get(20, TimeUnit.SECONDS)).isZero();
        }
    }

    @Test
    void badLimitsAreUsageErrors() throws Exception {
        Path disk = dir.resolve("disk.raw");
        Files.write(disk, new byte[4096]);
        Run connections = run("nbd", "serve", "d=" + disk, "--listen", "127.0.0.1:0", "--max-connections", "0");
        assertThat(connections.exit()).isEqualTo(2);
        assertThat(connections.err()).contains("InvalidParameterValue", "maximum connections 0");
        Run idle = run("nbd", "serve", "d=" + disk, "--listen", "127.0.0.1:0", "--idle-timeout", "-5");
        assertThat(idle.exit()).isEqualTo(2);
        assertThat(idle.err()).contains("InvalidParameterValue", "--idle-timeout -5");
    }

    private static Socket connect(int port) throws Exception {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    static int awaitPort(StringWriter out, StringWriter err, CompletableFuture<Integer> serving)
            throws Exception {
        for (int i = 0; i < 200; i++) { // bounded: 20 s
            String text = out.toString();
            if (text.contains("}")) {
                return new ObjectMapper().readTree(text).get("Port").asInt();
            }
            assertThat(serving.isDone()).as("serve ended early: " + err).isFalse();
            Thread.sleep(100);
        }
        throw new AssertionError("nbd serve printed no address: " + out + err);
    }

    @Test
    void missingFileIsNotFound() {
        Run r = run("nbd", "serve", "x=" + dir.resolve("missing.raw"), "--listen", "127.0.0.1:0");
        assertThat(r.exit()).isEqualTo(4);
        assertThat(r.err()).contains("amiforge: FileNotFound:", "missing.raw");
    }

    @Test
    void anUnknownVolumeNameIsNotFound() {
        Run r = run("nbd", "serve", "vol-1", "--listen", "127.0.0.1:0", "--store", dir.resolve("store").toString());
        assertThat(r.exit()).isEqualTo(4);
        assertThat(r.err()).contains("InvalidVolume.NotFound", "vol-1", "NAME=PATH");
    }

    @Test
    void badListenAddressIsAUsageError() throws Exception {
        Path disk = dir.resolve("disk.raw");
        Files.write(disk, new byte[4096]);
        Run r = run("nbd", "serve", "d=" + disk, "--listen", "localhost");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("InvalidParameterValue", "HOST:PORT");
    }

    @Test
    void storeVolumesAndSnapshotsAreServedByName() throws Exception {
        String store = dir.resolve("store").toString();
        assertThat(run("volume", "create", "vol-1", "--size", "64K", "--store", store).exit()).isZero();
        Run snapshot = run("snapshot", "create", "vol-1", "--store", store, "--json");
        assertThat(snapshot.exit()).isZero();
        String snapshotId = new com.fasterxml.jackson.databind.ObjectMapper().readTree(snapshot.out()).get("SnapshotId").asText();
        StringWriter out = new StringWriter();
        CompletableFuture<Integer> serving = CompletableFuture.supplyAsync(() -> Main.run(
                new PrintWriter(out, true), new PrintWriter(new StringWriter(), true),
                "nbd", "serve", "vol-1", snapshotId, "--listen", "127.0.0.1:0", "--store", store));
        for (int i = 0; i < 200 && !out.toString().contains(snapshotId); i++) {
            Thread.sleep(100);
        }
        assertThat(out.toString()).contains("/vol-1  65536 bytes\n", "/" + snapshotId + "  65536 bytes, read-only");
        NbdServeCommand.requestStop();
        assertThat(serving.get(20, TimeUnit.SECONDS)).isZero();
    }
}
