package io.amiforge.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.MemoryBlockDevice;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Random request sequences (reads, writes with and without FUA, trims, write-zeroes, flushes,
 * some out of range, some unaligned) against the server and against a plain byte array:
 * every reply and the final device content must match the model.
 */
class NbdModelTest {

    static final int SIZE = 1 << 20;

    @Test
    void randomRequestSequencesMatchAByteArrayModel() throws Exception {
        for (long seed = 1; seed <= 6; seed++) {
            run(seed, seed % 2 == 0);
        }
    }

    private void run(long seed, boolean structured) throws Exception {
        Random random = new Random(seed);
        byte[] model = new byte[SIZE];
        MemoryBlockDevice device = new MemoryBlockDevice("model", SIZE);
        try (NbdServer server = NbdServer.builder().listen("127.0.0.1", 0)
                .export("m", device, false, null).build()) {
            int port = server.start();
            try (NbdTestClient c = new NbdTestClient(port)) {
                c.go("m", structured, false);
                for (int i = 0; i < 400; i++) {
                    int kind = random.nextInt(10);
                    int length = random.nextBoolean() ? 512 * (1 + random.nextInt(16)) : 1 + random.nextInt(20_000);
                    long offset = random.nextInt(20) == 0 ? SIZE - random.nextInt(length + 1) + 1
                            : random.nextInt(SIZE - length + 1);
                    boolean inRange = offset + length <= SIZE;
                    String what = "seed " + seed + " op " + i + " kind " + kind + " [" + offset + ", +" + length + ")";
                    switch (kind) {
                        case 0, 1, 2 -> { // write
                            byte[] data = new byte[length];
                            random.nextBytes(data);
                            c.request(1, random.nextBoolean() ? 1 : 0, i, offset, length, data);
                            NbdTestClient.Reply r = c.reply(0);
                            assertThat(r.error()).as(what).isEqualTo(inRange ? 0 : 22);
                            if (inRange) {
                                System.arraycopy(data, 0, model, (int) offset, length);
                            }
                        }
                        case 3 -> { // trim
                            c.request(4, 0, i, offset, length, null);
                            assertThat(c.reply(0).error()).as(what).isEqualTo(inRange ? 0 : 22);
                            if (inRange) {
                                Arrays.fill(model, (int) offset, (int) offset + length, (byte) 0);
                            }
                        }
                        case 4 -> { // write zeroes, with or without NO_HOLE
                            c.request(6, random.nextBoolean() ? 2 : 0, i, offset, length, null);
                            assertThat(c.reply(0).error()).as(what).isEqualTo(inRange ? 0 : 22);
                            if (inRange) {
                                Arrays.fill(model, (int) offset, (int) offset + length, (byte) 0);
                            }
                        }
                        case 5 -> {
                            c.request(3, 0, i, 0, 0, null);
                            assertThat(c.reply(0).error()).as(what).isZero();
                        }
                        default -> { // read
                            c.request(0, 0, i, offset, length, null);
                            byte[] got = readReply(c, structured, length, offset, what);
                            if (inRange) {
                                assertThat(got).as(what).isEqualTo(Arrays.copyOfRange(model, (int) offset,
                                        (int) offset + length));
                            } else {
                                assertThat(got).as(what).isNull();
                            }
                        }
                    }
                }
            }
        }
        byte[] content = new byte[SIZE];
        device.read(0, MemorySegment.ofArray(content));
        device.close();
        assertThat(content).as("device content after seed " + seed).isEqualTo(model);
    }

    /** The data of a read reply, or null if the reply was an error. */
    private static byte[] readReply(NbdTestClient c, boolean structured, int length, long offset, String what)
            throws Exception {
        if (!structured) {
            NbdTestClient.Reply r = c.reply(length);
            return r.error() == 0 ? r.payload() : null;
        }
        byte[] out = new byte[length];
        boolean failed = false;
        while (true) {
            NbdTestClient.Reply r = c.reply(0);
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(r.payload());
            switch (r.type()) {
                case 1 -> {
                    int at = (int) (b.getLong() - offset);
                    b.get(out, at, b.remaining());
                }
                case 2 -> {
                    int at = (int) (b.getLong() - offset);
                    Arrays.fill(out, at, at + b.getInt(), (byte) 0);
                }
                case 0 -> { }
                default -> {
                    assertThat(r.type() & 0x8000).as(what + ": chunk type " + r.type()).isNotZero();
                    failed = true;
                }
            }
            if (r.done()) {
                return failed ? null : out;
            }
        }
    }

    @Test
    void clientsThatNeverNegotiateAreDisconnected() throws Exception {
        MemoryBlockDevice device = new MemoryBlockDevice("idle", 4096);
        try (NbdServer server = NbdServer.builder().listen("127.0.0.1", 0).export("i", device, false, null)
                .negotiationTimeout(Duration.ofMillis(300)).build()) {
            int port = server.start();
            try (NbdTestClient c = new NbdTestClient(port).greet(3)) {
                assertThat(c.closedByServer()).isTrue();
            }
            try (NbdTestClient c = new NbdTestClient(port)) { // negotiated in time: stays open
                c.go("i", false, false);
                Thread.sleep(600);
                c.request(0, 0, 1, 0, 512, null);
                assertThat(c.reply(512).error()).isZero();
            }
        } finally {
            device.close();
        }
    }

    @Test
    void aSharedPipelineServesBothTheServerAndASynchronousFrontEnd() throws Exception {
        MemoryBlockDevice device = new MemoryBlockDevice("shared", 1 << 20);
        try (var pipeline = io.amiforge.pipeline.RequestPipeline.start(device)) {
            var disk = io.amiforge.pipeline.PipelinedBlockDevice.over(pipeline);
            try (NbdServer server = NbdServer.builder().listen("127.0.0.1", 0)
                    .export(new NbdExport("s", device, false, null), pipeline).build()) {
                int port = server.start();
                byte[] data = new byte[4096];
                Arrays.fill(data, (byte) 0x61);
                try (NbdTestClient c = new NbdTestClient(port)) {
                    c.go("s", false, false);
                    c.request(1, 0, 1, 8192, data.length, data);
                    assertThat(c.reply(0).error()).isZero();
                    byte[] back = new byte[4096];
                    disk.read(8192, MemorySegment.ofArray(back)); // the simulator's view, same pipeline
                    assertThat(back).isEqualTo(data);
                    disk.write(0, MemorySegment.ofArray(data));
                    c.request(0, 0, 2, 0, 4096, null);
                    assertThat(c.reply(4096).payload()).isEqualTo(data);
                }
            }
            // the server did not close the shared pipeline
            byte[] again = new byte[16];
            disk.read(8192, MemorySegment.ofArray(again));
            assertThat(again).containsOnly(0x61);
        } finally {
            device.close();
        }
    }
}
