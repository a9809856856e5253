package io.amiforge.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.MemoryBlockDevice;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Requests that arrive cut at every kind of place ({@link RequestCumulator}): a stream of WRITEs
 * of 1 byte to 1 MiB, with READs between them, is sent in pieces of random size with pauses, so
 * headers and payloads are split across socket reads, and long payloads are gathered from many.
 * Every write lands whole and in place; every read answers the bytes written before it.
 */
class NbdFragmentedRequestsTest {

    private static final int SIZE = 8 << 20;

    @Test
    void writesAndReadsCutAtRandomPlacesLandWhole() throws Exception {
        Random random = new Random(13);
        byte[] model = new byte[SIZE];
        try (MemoryBlockDevice device = new MemoryBlockDevice("frag", SIZE);
                NbdServer server = NbdServer.builder().listen("127.0.0.1", 0).export("f", device, false, null).build();
                NbdTestClient c = new NbdTestClient(server.start())) {
            c.go("f", false, false);
            for (int round = 0; round < 40; round++) {
                ByteArrayOutputStream stream = new ByteArrayOutputStream();
                DataOutputStream requests = new DataOutputStream(stream);
                int writes = 1 + random.nextInt(6);
                for (int i = 0; i < writes; i++) {
                    int length = random.nextInt(4) == 0 ? 1 + random.nextInt(100) : 1 + random.nextInt(1 << 20);
                    int offset = random.nextInt(SIZE - length);
                    byte[] payload = new byte[length];
                    random.nextBytes(payload);
                    System.arraycopy(payload, 0, model, offset, length);
                    header(requests, 1, i, offset, length);
                    requests.write(payload);
                }
                int readOffset = random.nextInt(SIZE - (256 << 10));
                int readLength = 1 + random.nextInt(256 << 10);
                header(requests, 0, 1000, readOffset, readLength);
                byte[] bytes = stream.toByteArray();
                for (int at = 0; at < bytes.length; ) { // pieces of 1 byte to 200 KB
                    int n = Math.min(bytes.length - at, random.nextInt(3) == 0 ? 1 + random.nextInt(40)
                            : 1 + random.nextInt(200_000));
                    c.out.write(bytes, at, n);
                    c.out.flush();
                    at += n;
                    if (random.nextInt(8) == 0) {
                        Thread.sleep(1); // let the server read what has arrived so far
                    }
                }
                for (int i = 0; i < writes; i++) {
                    NbdTestClient.Reply r = c.reply(0);
                    assertThat(r.error()).isZero();
                    assertThat(r.cookie()).isEqualTo(i); // written inline, in order
                }
                NbdTestClient.Reply read = c.reply(readLength);
                assertThat(read.cookie()).isEqualTo(1000);
                byte[] expected = new byte[readLength];
                System.arraycopy(model, readOffset, expected, 0, readLength);
                assertThat(read.payload()).isEqualTo(expected);
            }
            byte[] all = new byte[SIZE];
            device.read(0, MemorySegment.ofArray(all));
            assertThat(all).isEqualTo(model);
        }
    }

    private static void header(DataOutputStream out, int type, long cookie, long offset, int length) throws Exception {
        out.writeInt(0x25609513);
        out.writeShort(0);
        out.writeShort(type);
        out.writeLong(cookie);
        out.writeLong(offset);
        out.writeInt(length);
    }
}
