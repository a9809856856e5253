package io.amiforge.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.blockdev.MemoryBlockDevice;
import io.amiforge.pipeline.RequestPipeline;
import java.lang.foreign.MemorySegment;
import java.net.SocketTimeoutException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Reads up to {@link NbdServer.Builder#inlineReadLimit} are served on the event loop, not through
 * the export's pipeline: shown by stalling the pipeline (a shared one, blocked by a task) and
 * getting small reads answered meanwhile while a large read, and every read under the default
 * limit (0), waits for it. Device failures give the same errors as on the pipeline path.
 */
class NbdInlineReadTest {

    private static final int SIZE = 1 << 20;

    private static MemoryBlockDevice patterned() {
        MemoryBlockDevice device = new MemoryBlockDevice("inline", SIZE);
        byte[] data = new byte[SIZE];
        for (int i = 0; i < SIZE; i++) {
            data[i] = (byte) (i * 7 + (i >>> 9));
        }
        device.write(0, MemorySegment.ofArray(data));
        return device;
    }

    /** Holds {@code pipeline}'s consumer in a task until {@code release} opens (at most 10 s); returns once it holds. */
    private static void stall(RequestPipeline pipeline, CountDownLatch release) throws InterruptedException {
        CountDownLatch stalled = new CountDownLatch(1);
        pipeline.task((d, r) -> {
            stalled.countDown();
            release.await(10, TimeUnit.SECONDS);
        }, 0, 0, null, (r, f) -> { }, null, 0);
        assertThat(stalled.await(5, TimeUnit.SECONDS)).isTrue();
    }

    private static byte[] expected(MemoryBlockDevice device, long offset, int length) {
        byte[] out = new byte[length];
        device.read(offset, MemorySegment.ofArray(out));
        return out;
    }

    @Test
    void smallReadsAreAnsweredWhileThePipelineIsStalledAndLargeOnesWait() throws Exception {
        MemoryBlockDevice device = patterned();
        CountDownLatch release = new CountDownLatch(1);
        try (RequestPipeline pipeline = RequestPipeline.start(device);
             NbdServer server = NbdServer.builder().listen("127.0.0.1", 0).inlineReadLimit(64 * 1024)
                     .streamReads(false).export(new NbdExport("s", device, false, null), pipeline).build()) {
            int port = server.start();
            stall(pipeline, release);
            try (NbdTestClient c = new NbdTestClient(port)) {
                c.go("s", false, false);
                c.request(0, 0, 1, 4096 * 3, 4096, null);
                c.request(0, 0, 2, 100_000, 64 * 1024, null);
                NbdTestClient.Reply first = c.reply(4096);
                NbdTestClient.Reply second = c.reply(64 * 1024);
                assertThat(first.cookie()).isEqualTo(1);
                assertThat(first.payload()).isEqualTo(expected(device, 4096 * 3, 4096));
                assertThat(second.cookie()).isEqualTo(2);
                assertThat(second.payload()).isEqualTo(expected(device, 100_000, 64 * 1024));

                c.request(0, 0, 3, 0, 64 * 1024 + 1, null); // over the limit: through the stalled pipeline
                c.socket.setSoTimeout(300);
                assertThatThrownBy(() -> c.reply(64 * 1024 + 1)).isInstanceOf(SocketTimeoutException.class);
                release.countDown();
                c.socket.setSoTimeout(10_000);
                NbdTestClient.Reply third = c.reply(64 * 1024 + 1);
                assertThat(third.cookie()).isEqualTo(3);
                assertThat(third.payload()).isEqualTo(expected(device, 0, 64 * 1024 + 1));
            }
        } finally {
            release.countDown();
            device.close();
        }
    }

    @Test
    void withInlineAndStreamingOffEveryReadAndWriteWaitsForThePipeline() throws Exception {
        MemoryBlockDevice device = patterned();
        CountDownLatch release = new CountDownLatch(1);
        try (RequestPipeline pipeline = RequestPipeline.start(device);
             NbdServer server = NbdServer.builder().listen("127.0.0.1", 0).inlineReadLimit(0).inlineWriteLimit(0)
                     .streamReads(false).export(new NbdExport("s", device, false, null), pipeline).build()) {
            int port = server.start();
            stall(pipeline, release);
            try (NbdTestClient c = new NbdTestClient(port)) {
                c.go("s", false, false);
                c.request(0, 0, 7, 512, 512, null);
                c.request(1, 0, 8, 8192, 4096, new byte[4096]);
                c.socket.setSoTimeout(300);
                assertThatThrownBy(() -> c.reply(512)).isInstanceOf(SocketTimeoutException.class);
                release.countDown();
                c.socket.setSoTimeout(10_000);
                assertThat(c.reply(512).payload()).isEqualTo(expected(device, 512, 512));
                assertThat(c.reply(0).cookie()).isEqualTo(8);
                assertThat(expected(device, 8192, 4096)).containsOnly((byte) 0);
            }
        } finally {
            release.countDown();
            device.close();
        }
    }

    /**
     * The defaults: short reads are served inline, long ones streamed from the event loop, writes
     * without FUA applied inline; all are answered while the pipeline is stalled. A FUA write and
     * a FLUSH wait for it.
     */
    @Test
    void byDefaultReadsAndPlainWritesAreAnsweredWhileThePipelineIsStalled() throws Exception {
        MemoryBlockDevice device = patterned();
        CountDownLatch release = new CountDownLatch(1);
        byte[] payload = new byte[70_000];
        java.util.Arrays.fill(payload, (byte) 0x5a);
        try (RequestPipeline pipeline = RequestPipeline.start(device);
             NbdServer server = NbdServer.builder().listen("127.0.0.1", 0)
                     .export(new NbdExport("s", device, false, null), pipeline).build()) {
            int port = server.start();
            stall(pipeline, release);
            try (NbdTestClient c = new NbdTestClient(port)) {
                c.go("s", false, false);
                c.request(0, 0, 1, 512, 512, null);
                assertThat(c.reply(512).payload()).isEqualTo(expected(device, 512, 512));
                c.request(0, 0, 2, 4096, 512 * 1024, null);
                assertThat(c.reply(512 * 1024).payload()).isEqualTo(expected(device, 4096, 512 * 1024));
                c.request(1, 0, 3, 200_000, payload.length, payload);
                assertThat(c.reply(0).cookie()).isEqualTo(3);
                assertThat(expected(device, 200_000, payload.length)).isEqualTo(payload);
                c.request(1, 1, 4, 0, 4096, new byte[4096]); // FUA: group-committed by the pipeline
                c.socket.setSoTimeout(300);
                assertThatThrownBy(() -> c.reply(0)).isInstanceOf(SocketTimeoutException.class);
                release.countDown();
                c.socket.setSoTimeout(10_000);
                assertThat(c.reply(0).cookie()).isEqualTo(4);
            }
        } finally {
            release.countDown();
            device.close();
        }
    }

    @Test
    void aFailingDeviceGivesTheSameErrorsInline() throws Exception {
        MemoryBlockDevice device = patterned();
        BlockDevice failing = new FailingAt8192(device);
        try (NbdServer server = NbdServer.builder().listen("127.0.0.1", 0).inlineReadLimit(64 * 1024)
                .export("f", failing, false, null).build()) {
            int port = server.start();
            try (NbdTestClient c = new NbdTestClient(port)) {
                c.go("f", true, false);
                c.request(0, 0, 1, 8192, 4096, null);
                NbdTestClient.Reply error = c.reply(0);
                assertThat(error.type()).isEqualTo(32769); // NBD_REPLY_TYPE_ERROR
                assertThat(error.done()).isTrue();
                assertThat(java.nio.ByteBuffer.wrap(error.payload()).getInt()).isEqualTo(NbdProtocol.EIO);
                assertThat(new String(error.payload(), 6, error.payload().length - 6)).contains("disk on fire at 8192");
                c.request(0, 0, 2, 4096, 4096, null); // the connection goes on
                NbdTestClient.Reply ok = c.reply(0);
                assertThat(ok.cookie()).isEqualTo(2);
                assertThat(ok.error()).isZero();
            }
            failing.close();
            try (NbdTestClient c = new NbdTestClient(port)) {
                c.go("f", false, false);
                c.request(0, 0, 3, 0, 4096, null);
                assertThat(c.reply(0).error()).isEqualTo(NbdProtocol.ESHUTDOWN);
            }
        } finally {
            device.close();
        }
    }

    /**
     * A long read streamed from the device fails while the stage is refilled, after the reply
     * header and the first stage left: the connection closes (the client cannot be told in band),
     * and the client has received no byte the device did not give.
     */
    @Test
    void aStreamedReadThatFailsHalfWayClosesTheConnection() throws Exception {
        MemoryBlockDevice device = patterned();
        BlockDevice failing = new FailingAt8192(device);
        try (NbdServer server = NbdServer.builder().listen("127.0.0.1", 0).export("f", failing, false, null).build()) {
            int port = server.start();
            try (NbdTestClient c = new NbdTestClient(port)) {
                c.go("f", false, false);
                c.request(0, 0, 1, 0, 1 << 20, null);
                byte[] header = c.readExactly(16);
                assertThat(java.nio.ByteBuffer.wrap(header).getInt(4)).isZero(); // the header left before the failure
                byte[] first = c.readExactly(Stage.SIZE - 16); // the first stage: header and data
                assertThat(first).isEqualTo(expected(device, 0, Stage.SIZE - 16));
                assertThat(c.closedByServer()).isTrue();
            }
            try (NbdTestClient c = new NbdTestClient(port)) { // other connections go on
                c.go("f", false, false);
                c.request(0, 0, 2, 0, 128 * 1024, null);
                assertThat(c.reply(128 * 1024).payload()).isEqualTo(expected(device, 0, 128 * 1024));
            }
        } finally {
            device.close();
        }
    }

    @Test
    void anInlineWriteThatFailsIsAnsweredEioAndTheConnectionGoesOn() throws Exception {
        MemoryBlockDevice device = patterned();
        BlockDevice failing = new FailingAt8192(device);
        try (NbdServer server = NbdServer.builder().listen("127.0.0.1", 0).export("f", failing, false, null).build()) {
            int port = server.start();
            try (NbdTestClient c = new NbdTestClient(port)) {
                c.go("f", false, false);
                c.request(1, 0, 1, 8192, 4096, new byte[4096]);
                NbdTestClient.Reply error = c.reply(0);
                assertThat(error.cookie()).isEqualTo(1);
                assertThat(error.error()).isEqualTo(NbdProtocol.EIO);
                c.request(1, 0, 2, 4096, 4096, new byte[4096]);
                assertThat(c.reply(0).error()).isZero();
                assertThat(expected(device, 4096, 4096)).containsOnly((byte) 0);
            }
        } finally {
            device.close();
        }
    }

    /** Reads through to {@code memory}, except that I/O at offset 8192 or {@link Stage#SIZE} - 16 (a stage after a simple reply's header) fails. */
    private static final class FailingAt8192 extends HookedMemoryDevice {

        FailingAt8192(MemoryBlockDevice memory) {
            super("failing", memory);
        }

        @Override
        protected void beforeIo(long offset, boolean write) {
            if (offset == 8192 || offset == Stage.SIZE - 16) {
                throw new BlockDeviceException("disk on fire at " + offset);
            }
        }
    }

    @Test
    void theLimitIsChecked() {
        assertThatThrownBy(() -> NbdServer.builder().inlineReadLimit(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("inline read limit -1");
        assertThatThrownBy(() -> NbdServer.builder().inlineReadLimit((32 << 20) + 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
