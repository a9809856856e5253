package io.amiforge.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.FileBlockDevice;
import io.amiforge.blockdev.MemoryBlockDevice;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bounds that keep hostile clients from exhausting the host: request size, buffered bytes
 * per connection (backpressure), connection count and idle connections. Memory is asserted on
 * the server's own buffered-bytes counters, never on timing.
 */
class NbdLimitsTest {

    static final int CMD_READ = 0, CMD_WRITE = 1;
    static final int MIB = 1 << 20;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose.reversed()) {
            c.close();
        }
    }

    private NbdServer start(NbdServer.Builder builder) {
        NbdServer server = builder.listen("127.0.0.1", 0).build();
        server.start();
        toClose.add(server);
        return server;
    }

    private MemoryBlockDevice memory(long size) {
        MemoryBlockDevice device = new MemoryBlockDevice("mem", size);
        toClose.add(device);
        return device;
    }

    @Test
    void aReadOver32MiBIsEinvalThenTheConnectionCloses() throws Exception {
        NbdServer server = start(NbdServer.builder().export("d", memory(64L * MIB), false, null));
        try (NbdTestClient structured = new NbdTestClient(server.port());
             NbdTestClient simple = new NbdTestClient(server.port())) {
            structured.go("d", true, false);
            structured.request(CMD_READ, 0, 7, 0, 32L * MIB + 1, null);
            NbdTestClient.Reply r = structured.reply(0);
            assertThat(r.cookie()).isEqualTo(7);
            assertThat(r.type()).isEqualTo(0x8001); // NBD_REPLY_TYPE_ERROR
            assertThat(r.error()).isEqualTo(22);
            assertThat(new String(r.payload(), 6, r.payload().length - 6)).contains("33554433", "32 MiB");
            assertThat(structured.closedByServer()).isTrue();

            simple.go("d", false, false);
            simple.request(CMD_READ, 0, 8, 0, 32L * MIB, null); // exactly the maximum: fine
            assertThat(simple.reply(32 * MIB).error()).isZero();
            simple.request(CMD_READ, 0, 9, 0, 0xffff_ffffL, null);
            NbdTestClient.Reply refused = simple.reply(0);
            assertThat(refused.cookie()).isEqualTo(9);
            assertThat(refused.error()).isEqualTo(22);
            assertThat(simple.closedByServer()).isTrue();
        }
    }

    @Test
    void aConnectionOverTheLimitIsClosedAtOnceAndTheOthersKeepWorking() throws Exception {
        NbdServer server = start(NbdServer.builder().maxConnections(3).export("d", memory(MIB), false, null));
        List<NbdTestClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                NbdTestClient c = new NbdTestClient(server.port());
                clients.add(c);
                c.greet(3); // the greeting arrived: the server has counted this connection
            }
            try (NbdTestClient refused = new NbdTestClient(server.port())) {
                assertThat(refused.closedByServer()).as("no greeting, end of stream").isTrue();
            }
            assertThat(server.refusedConnections()).isEqualTo(1);
            assertThat(server.connectionCount()).isEqualTo(3);
            clients.getFirst().go("d", false, false);
            clients.getFirst().request(CMD_READ, 0, 1, 0, 4096, null);
            assertThat(clients.getFirst().reply(4096).error()).isZero();

            clients.removeLast().close();
            for (int i = 0; i < 200 && server.connectionCount() > 2; i++) { // bounded wait for the close
                Thread.sleep(50);
            }
            try (NbdTestClient again = new NbdTestClient(server.port())) {
                again.go("d", false, false); // room again
            }
        } finally {
            for (NbdTestClient c : clients) {
                c.close();
            }
        }
    }

    @Test
    void writesSentWithoutReadingRepliesDoNotGrowTheServersBuffers() throws Exception {
        long limit = MIB;
        int writeSize = 256 * 1024;
        int writes = 192; // 48 MiB: far more than the limit plus the sockets' buffers
        GatedDevice device = new GatedDevice(64L * MIB);
        toClose.add(device);
        NbdServer server = start(NbdServer.builder().connectionBufferLimit(limit).inlineWriteLimit(0) // writes wait in the pipeline
                .export("d", device, false, null));
        try (NbdTestClient c = new NbdTestClient(server.port())) {
            c.go("d", false, false);
            AtomicLong sent = new AtomicLong();
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < writes; i++) {
                        c.request(CMD_WRITE, 0, i, (long) i * writeSize, writeSize, NbdServerTest.fill(writeSize, i));
                        sent.addAndGet(writeSize);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(device.awaitEntered()).isTrue();
            awaitQuiet(server, writer, sent);
            long bound = limit + writeSize + 256 * 1024; // the limit, one request, one socket read
            assertThat(server.bufferedBytes()).isPositive().isLessThanOrEqualTo(bound);
            assertThat(writer).as("the client is held back by TCP").isNotDone();

            device.open();
            Set<Long> cookies = new HashSet<>();
            for (int i = 0; i < writes; i++) {
                NbdTestClient.Reply r = c.reply(0);
                assertThat(r.error()).isZero();
                cookies.add(r.cookie());
            }
            writer.get(30, TimeUnit.SECONDS);
            assertThat(cookies).hasSize(writes);
            assertThat(server.peakConnectionBufferedBytes()).isLessThanOrEqualTo(bound);
        }
        byte[] last = new byte[writeSize];
        device.read((long) (writes - 1) * writeSize, MemorySegment.ofArray(last));
        assertThat(last).containsOnly((byte) (writes - 1));
    }

    /** Long reads are streamed through the connection's stage ({@link DeviceRegion}): queued regions count. */
    @Test
    void readsWhoseRepliesAreNotReadDoNotGrowTheServersBuffers() throws Exception {
        readsNotReadStayBounded(memory(16L * MIB), false);
    }

    /** The same with replies sent from a file (sendfile): queued file regions count too. */
    @Test
    void readsSentFromAFileWhoseRepliesAreNotReadStayBounded(@TempDir Path dir) throws Exception {
        FileBlockDevice device = FileBlockDevice.create(dir.resolve("d.raw"), 16L * MIB);
        toClose.add(device);
        readsNotReadStayBounded(device, true);
    }

    private void readsNotReadStayBounded(BlockDevice device, boolean fromFile) throws Exception {
        long limit = MIB;
        int readSize = MIB;
        int reads = 96; // 96 MiB of replies requested in 2.7 KB of requests
        device.write(0, MemorySegment.ofArray(NbdServerTest.fill(readSize, 0x3c)));
        NbdServer server = start(NbdServer.builder().connectionBufferLimit(limit).sendfile(fromFile)
                .export("d", device, false, null));
        try (NbdTestClient c = new NbdTestClient(server.port())) {
            c.go("d", false, false);
            for (int i = 0; i < reads; i++) {
                c.request(CMD_READ, 0, i, 0, readSize, null);
            }
            awaitQuiet(server, null, null);
            long bound = limit + readSize + 256 * 1024;
            assertThat(server.bufferedBytes()).isLessThanOrEqualTo(bound);
            for (int i = 0; i < reads; i++) {
                NbdTestClient.Reply r = c.reply(readSize);
                assertThat(r.error()).isZero();
                assertThat(r.cookie()).isEqualTo(i); // one device, one pipeline: in order here
                assertThat(r.payload()[readSize - 1]).isEqualTo((byte) 0x3c);
            }
            assertThat(server.peakConnectionBufferedBytes()).isLessThanOrEqualTo(bound);
            assertThat(server.readsSentFromFile()).isEqualTo(fromFile ? reads : 0);
        }
        for (int i = 0; i < 200 && server.bufferedBytes() != 0; i++) { // bounded wait for the counter to settle
            Thread.sleep(50);
        }
        assertThat(server.bufferedBytes()).isZero();
    }

    @Test
    void idleConnectionsAreClosedButOnesWithRequestsInFlightAreNot() throws Exception {
        GatedDevice gated = new GatedDevice(MIB);
        toClose.add(gated);
        NbdServer server = start(NbdServer.builder().idleTimeout(Duration.ofMillis(500)).inlineReadLimit(0)
                .export("d", memory(MIB), false, null).export("g", gated, false, null));
        try (NbdTestClient busy = new NbdTestClient(server.port())) {
            busy.go("g", false, false);
            busy.request(CMD_READ, 0, 1, 0, 4096, null);
            assertThat(gated.awaitEntered()).isTrue(); // in flight from now on
            try (NbdTestClient idle = new NbdTestClient(server.port())) {
                idle.go("d", false, false);
                assertThat(idle.closedByServer()).as("idle connection closed").isTrue(); // within the socket timeout
            }
            gated.open();
            assertThat(busy.reply(4096).error()).as("in-flight request answered").isZero();
        }
    }

    @Test
    void theLimitsAreValidated() {
        NbdServer.Builder b = NbdServer.builder();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> b.maxConnections(0)).hasMessageContaining("0");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> b.idleTimeout(Duration.ofSeconds(-1)))
                .hasMessageContaining("negative");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> b.connectionBufferLimit(100))
                .hasMessageContaining("100");
    }

    /**
     * Waits (bounded) until the server's buffered bytes and the client's progress stop changing:
     * the server has stopped reading, or it has taken everything. Not an assertion.
     */
    private static void awaitQuiet(NbdServer server, CompletableFuture<Void> writer, AtomicLong sent)
            throws InterruptedException {
        long last = -1;
        int still = 0;
        for (int i = 0; i < 400 && still < 10; i++) {
            Thread.sleep(50);
            long now = server.bufferedBytes() * 31 + (sent == null ? 0 : sent.get());
            still = now == last ? still + 1 : 0;
            last = now;
            if (writer != null && writer.isDone()) {
                return;
            }
        }
    }
}
