package io.amiforge.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.FileBlockDevice;
import io.amiforge.blockdev.MemoryBlockDevice;
import java.io.DataOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Protocol-level tests with {@link NbdTestClient}: every option, command and error path. */
class NbdServerTest {

    static final int OPT_EXPORT_NAME = 1, OPT_ABORT = 2, OPT_LIST = 3, OPT_INFO = 6, OPT_GO = 7,
            OPT_STRUCTURED = 8, OPT_LIST_META = 9, OPT_SET_META = 10;
    static final int CMD_READ = 0, CMD_WRITE = 1, CMD_DISC = 2, CMD_FLUSH = 3, CMD_TRIM = 4, CMD_WZ = 6,
            CMD_STATUS = 7;
    static final int REP_ERR_UNSUP = 0x80000001, REP_ERR_INVALID = 0x80000003, REP_ERR_UNKNOWN = 0x80000006;
    static final int SIZE = 8 << 20;

    @TempDir
    Path dir;
    MemoryBlockDevice mem;
    MemoryBlockDevice roDevice;
    FileBlockDevice file;
    NbdServer server;
    int port;

    @BeforeEach
    void start() {
        mem = new MemoryBlockDevice("mem", SIZE);
        roDevice = new MemoryBlockDevice("ro", SIZE);
        roDevice.write(0, MemorySegment.ofArray(fill(4096, 0x5a)));
        file = FileBlockDevice.create(dir.resolve("sparse.raw"), SIZE);
        file.write(1 << 20, MemorySegment.ofArray(fill(64 * 1024, 0x11))); // data at 1 MiB .. 1 MiB + 64 KiB
        file.write(4 << 20, MemorySegment.ofArray(fill(4096, 0x22)));      // and 4 KiB at 4 MiB
        server = NbdServer.builder().listen("127.0.0.1", 0)
                .export("mem", mem, false, "memory disk")
                .export("ro", roDevice, true, "a snapshot")
                .export("file", file, false, null)
                .build();
        port = server.start();
    }

    @AfterEach
    void stop() {
        server.close();
        mem.close();
        roDevice.close();
        file.close();
    }

    static byte[] fill(int n, int value) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) value);
        return b;
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    byte[] device(MemoryBlockDevice d, long offset, int length) {
        byte[] b = new byte[length];
        d.read(offset, MemorySegment.ofArray(b));
        return b;
    }

    // ------------------------------------------------------------ negotiation

    @Test
    void greetingAdvertisesFixedNewstyleAndNoZeroes() throws Exception {
        try (NbdTestClient c = new NbdTestClient(port).greet(3)) {
            assertThat(c.handshakeFlags).isEqualTo(3);
        }
    }

    @Test
    void listNamesEveryExportWithItsDescription() throws Exception {
        try (NbdTestClient c = new NbdTestClient(port).greet(3)) {
            List<NbdTestClient.OptionReply> replies = c.option(OPT_LIST, new byte[0]);
            assertThat(replies).hasSize(4);
            assertThat(replies.getLast().type()).isEqualTo(1);
            ByteBuffer first = ByteBuffer.wrap(replies.get(0).data());
            int length = first.getInt();
            assertThat(new String(replies.get(0).data(), 4, length, StandardCharsets.UTF_8)).isEqualTo("mem");
            assertThat(new String(replies.get(0).data(), 4 + length, replies.get(0).data().length - 4 - length,
                    StandardCharsets.UTF_8)).isEqualTo("memory disk");
            assertThat(replies.get(1).type()).isEqualTo(2);
            assertThat(c.option(OPT_LIST, new byte[] {1}).getLast().type()).isEqualTo(REP_ERR_INVALID);
        }
    }

    @Test
    void infoReportsSizeFlagsBlockSizesNameAndDescription() throws Exception {
        try (NbdTestClient c = new NbdTestClient(port).greet(3)) {
            List<NbdTestClient.OptionReply> replies = c.option(OPT_INFO, NbdTestClient.infoRequest("ro", 1, 2, 3));
            Map<Integer, ByteBuffer> infos = new HashMap<>();
            for (NbdTestClient.OptionReply r : replies) {
                if (r.type() == 3) {
                    ByteBuffer b = ByteBuffer.wrap(r.data());
                    infos.put((int) b.getShort(), b);
                }
            }
            assertThat(replies.getLast().type()).isEqualTo(1);
            ByteBuffer export = infos.get(0);
            assertThat(export.getLong()).isEqualTo(SIZE);
            int flags = export.getShort() & 0xffff;
            assertThat(flags & 1).as("HAS_FLAGS").isEqualTo(1);
            assertThat(flags & 2).as("READ_ONLY").isEqualTo(2);
            assertThat(flags & (1 << 8)).as("CAN_MULTI_CONN").isNotZero();
            ByteBuffer sizes = infos.get(3);
            assertThat(sizes.getInt()).isEqualTo(1);
            assertThat(sizes.getInt()).isEqualTo(4096);
            assertThat(sizes.getInt()).isEqualTo(32 << 20);
            assertThat(StandardCharsets.UTF_8.decode(infos.get(1)).toString()).isEqualTo("ro");
            assertThat(StandardCharsets.UTF_8.decode(infos.get(2)).toString()).isEqualTo("a snapshot");
            // INFO does not end negotiation: an unknown name is an error reply, and options go on
            assertThat(c.option(OPT_INFO, NbdTestClient.infoRequest("nope")).getLast().type()).isEqualTo(REP_ERR_UNKNOWN);
            assertThat(c.option(OPT_INFO, new byte[] {0, 0, 0, 9, 1}).getLast().type()).isEqualTo(REP_ERR_INVALID);
            assertThat(c.option(OPT_LIST, new byte[0]).getLast().type()).isEqualTo(1);
        }
    }

    @Test
    void unknownOptionsAreUnsupportedAndNegotiationContinues() throws Exception {
        try (NbdTestClient c = new NbdTestClient(port).greet(3)) {
            assertThat(c.option(5, new byte[0]).getLast().type()).as("STARTTLS").isEqualTo(REP_ERR_UNSUP);
            assertThat(c.option(11, new byte[0]).getLast().type()).as("EXTENDED_HEADERS").isEqualTo(REP_ERR_UNSUP);
            assertThat(c.option(4711, new byte[100]).getLast().type()).isEqualTo(REP_ERR_UNSUP);
            assertThat(c.go("mem", true, true) & 1).isEqualTo(1);
        }
    }

    @Test
    void metaContextNeedsStructuredRepliesAndKnowsBaseAllocation() throws Exception {
        try (NbdTestClient c = new NbdTestClient(port).greet(3)) {
            assertThat(c.option(OPT_SET_META, NbdTestClient.metaRequest("mem", "base:allocation")).getLast().type())
                    .isEqualTo(REP_ERR_INVALID);
            NbdTestClient.expectAck(c.option(OPT_STRUCTURED, new byte[0]));
            List<NbdTestClient.OptionReply> list = c.option(OPT_LIST_META, NbdTestClient.metaRequest("mem"));
            assertThat(list).hasSize(2);
            assertThat(new String(list.get(0).data(), 4, list.get(0).data().length - 4, StandardCharsets.UTF_8))
                    .isEqualTo("base:allocation");
            List<NbdTestClient.OptionReply> none = c.option(OPT_SET_META, NbdTestClient.metaRequest("mem", "x-other:thing"));
            assertThat(none).hasSize(1);
            assertThat(none.getFirst().type()).isEqualTo(1);
            assertThat(c.option(OPT_SET_META, NbdTestClient.metaRequest("nope", "base:allocation")).getLast().type())
                    .isEqualTo(REP_ERR_UNKNOWN);
            List<NbdTestClient.OptionReply> set = c.option(OPT_SET_META, NbdTestClient.metaRequest("mem", "base:allocation"));
            assertThat(set.getFirst().type()).isEqualTo(4);
            assertThat(ByteBuffer.wrap(set.getFirst().data()).getInt()).isNotZero();
        }
    }

    @Test
    void exportNameEntersTransmissionWithOrWithoutTheZeroPadding() throws Exception {
        for (int clientFlags : new int[] {1, 3}) {
            try (NbdTestClient c = new NbdTestClient(port).greet(clientFlags)) {
                c.sendOption(OPT_EXPORT_NAME, "ro".getBytes(StandardCharsets.UTF_8));
                assertThat(c.in.readLong()).isEqualTo(SIZE);
                assertThat(c.in.readUnsignedShort() & 3).isEqualTo(3);
                if (clientFlags == 1) {
                    byte[] zeros = new byte[124];
                    c.in.readFully(zeros);
                    assertThat(zeros).containsOnly(0);
                }
                c.request(CMD_READ, 0, 7, 0, 4096, null);
                NbdTestClient.Reply r = c.reply(4096);
                assertThat(r.cookie()).isEqualTo(7);
                assertThat(r.payload()).containsOnly(0x5a);
            }
        }
    }

    @Test
    void exportNameForAnUnknownExportClosesTheConnection() throws Exception {
        try (NbdTestClient c = new NbdTestClient(port).greet(3)) {
            c.sendOption(OPT_EXPORT_NAME, "nope".getBytes(StandardCharsets.UTF_8));
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void abortIsAcknowledgedThenClosed() throws Exception {
        try (NbdTestClient c = new NbdTestClient(port).greet(3)) {
            assertThat(c.option(OPT_ABORT, new byte[0]).getLast().type()).isEqualTo(1);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void unknownClientFlagsCloseTheConnection() throws Exception {
        try (NbdTestClient c = new NbdTestClient(port).greet(0x10)) {
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void oversizedOptionClosesTheConnection() throws Exception {
        try (NbdTestClient c = new NbdTestClient(port).greet(3)) {
            c.out.writeLong(NbdTestClient.IHAVEOPT);
            c.out.writeInt(OPT_LIST);
            c.out.writeInt(1 << 30);
            c.out.flush();
            assertThat(c.closedByServer()).isTrue();
        }
    }

    // ------------------------------------------------------------ transmission

    @Test
    void writesLandOnTheDeviceAndReadBack() throws Exception {
        byte[] data = random(100_000, 1);
        try (NbdTestClient c = new NbdTestClient(port)) {
            c.go("mem", false, false);
            c.request(CMD_WRITE, 0, 1, 12345, data.length, data);
            assertThat(c.reply(0).error()).isZero();
            assertThat(device(mem, 12345, data.length)).isEqualTo(data);
            c.request(CMD_READ, 0, 2, 12345, data.length, null);
            NbdTestClient.Reply r = c.reply(data.length);
            assertThat(r.cookie()).isEqualTo(2);
            assertThat(r.payload()).isEqualTo(data);
        }
    }

    @Test
    void structuredReadOfASmallRangeIsOneDataChunk() throws Exception {
        mem.write(4096, MemorySegment.ofArray(fill(4096, 0x77)));
        try (NbdTestClient c = new NbdTestClient(port)) {
            int flags = c.go("mem", true, false);
            assertThat(flags & (1 << 7)).as("SEND_DF").isNotZero();
            c.request(CMD_READ, 0, 3, 4096, 4096, null);
            NbdTestClient.Reply r = c.reply(0);
            assertThat(r.type()).isEqualTo(1);
            assertThat(r.done()).isTrue();
            ByteBuffer b = ByteBuffer.wrap(r.payload());
            assertThat(b.getLong()).isEqualTo(4096);
            assertThat(Arrays.copyOfRange(r.payload(), 8, r.payload().length)).containsOnly(0x77);
        }
    }

    @Test
    void structuredReadSendsTheHolesOfASparseFileAsHoleChunks() throws Exception {
        long from = (1 << 20) - 256 * 1024;
        int length = 1 << 20; // [768 KiB, 1792 KiB): hole, 64 KiB data, hole
        byte[] expected = new byte[length];
        file.read(from, MemorySegment.ofArray(expected));
        assertThat(holeChunks(port, from, length, expected)).anyMatch(chunk -> chunk.startsWith("hole "));
    }

    /**
     * A read of many holes is cut into the same chunks on both paths: streamed on the event loop
     * (the default) and in the pipeline ({@code streamReads(false)}): at most 64 chunks, the last
     * taking the rest as data, reassembling to the device's bytes.
     */
    @Test
    void holeChunksAreTheSameStreamedAndThroughThePipeline() throws Exception {
        long from = 6 << 20;
        int length = 1 << 20;
        for (long at = from; at < from + length; at += 8192) { // 128 data runs, 128 holes
            file.write(at, MemorySegment.ofArray(fill(4096, (int) (at >>> 13))));
        }
        byte[] expected = new byte[length];
        file.read(from, MemorySegment.ofArray(expected));
        List<String> streamed = holeChunks(port, from, length, expected);
        try (NbdServer pipelined = NbdServer.builder().listen("127.0.0.1", 0).streamReads(false)
                .export("file", file, false, null).build()) {
            assertThat(holeChunks(pipelined.start(), from, length, expected)).isEqualTo(streamed);
        }
        assertThat(streamed).hasSize(64);
        assertThat(streamed.getLast()).startsWith("data " + (from + 63 * 4096));
    }

    /** The chunks of a structured read as "kind offset length", checked against {@code expected}. */
    private static List<String> holeChunks(int port, long from, int length, byte[] expected) throws Exception {
        List<String> chunks = new java.util.ArrayList<>();
        byte[] assembled = fill(length, 0xee);
        try (NbdTestClient c = new NbdTestClient(port)) {
            c.go("file", true, false);
            c.request(CMD_READ, 0, 9, from, length, null);
            while (true) {
                NbdTestClient.Reply r = c.reply(0);
                ByteBuffer b = ByteBuffer.wrap(r.payload());
                long offset = b.getLong();
                int at = (int) (offset - from);
                if (r.type() == 2) {
                    int hole = b.getInt();
                    Arrays.fill(assembled, at, at + hole, (byte) 0);
                    chunks.add("hole " + offset + " " + hole);
                } else {
                    assertThat(r.type()).isEqualTo(1);
                    chunks.add("data " + offset + " " + b.remaining());
                    b.get(assembled, at, b.remaining());
                }
                if (r.done()) {
                    break;
                }
            }
        }
        assertThat(assembled).isEqualTo(expected);
        return chunks;
    }

    @Test
    void dontFragmentReadsComeAsOneDataChunk() throws Exception {
        try (NbdTestClient c = new NbdTestClient(port)) {
            c.go("file", true, false);
            c.request(CMD_READ, 1 << 2, 10, 0, 128 * 1024, null);
            NbdTestClient.Reply r = c.reply(0);
            assertThat(r.type()).isEqualTo(1);
            assertThat(r.done()).isTrue();
            assertThat(r.payload().length).isEqualTo(8 + 128 * 1024);
        }
    }

    @Test
    void blockStatusDescribesTheHolesOfASparseFile() throws Exception {
        try (NbdTestClient c = new NbdTestClient(port)) {
            c.go("file", true, true);
            c.request(CMD_STATUS, 0, 11, 0, SIZE, null);
            NbdTestClient.Reply r = c.reply(0);
            assertThat(r.type()).isEqualTo(5);
            assertThat(r.done()).isTrue();
            ByteBuffer b = ByteBuffer.wrap(r.payload());
            assertThat(b.getInt()).isNotZero();
            StringBuilder map = new StringBuilder();
            long at = 0;
            while (b.hasRemaining()) {
                long length = b.getInt() & 0xffffffffL;
                int flags = b.getInt();
                map.append(at).append('+').append(length).append(':').append(flags).append(' ');
                at += length;
            }
            // the data extents are exactly what start() wrote; ext4/tmpfs track holes at 4 KiB
            assertThat(map.toString().trim()).isEqualTo(
                    "0+1048576:3 1048576+65536:0 1114112+3080192:3 4194304+4096:0 4198400+4190208:3");
            c.request(CMD_STATUS, 1 << 3, 12, 0, SIZE, null); // REQ_ONE
            NbdTestClient.Reply one = c.reply(0);
            assertThat(one.payload().length).isEqualTo(4 + 8);
        }
    }

    @Test
    void blockStatusOfAMemoryDeviceFollowsItsChunkMap() throws Exception {
        mem.write(2 << 20, MemorySegment.ofArray(fill(100, 1)));
        mem.write(3 << 20, MemorySegment.ofArray(new byte[100])); // zeros written: stored, so data
        try (NbdTestClient c = new NbdTestClient(port)) {
            c.go("mem", true, true);
            c.request(CMD_STATUS, 0, 1, 0, 4 << 20, null);
            assertThat(descriptors(c.reply(0))).containsExactly(
                    2 << 20, 3, 64 * 1024, 0, (1 << 20) - 64 * 1024, 3, 64 * 1024, 0, (1 << 20) - 64 * 1024, 3);
            c.request(CMD_TRIM, 0, 2, 3 << 20, 64 * 1024, null);
            assertThat(c.reply(0).error()).isZero();
            c.request(CMD_STATUS, 0, 3, 0, 4 << 20, null);
            assertThat(descriptors(c.reply(0))).containsExactly(2 << 20, 3, 64 * 1024, 0, (2 << 20) - 64 * 1024, 3);
        }
    }

    @Test
    void pipelinedWritesAndReadsKeepTheirBytesWithAnyNumberOfReadHelpers() throws Exception {
        for (int helpers : new int[] {0, 3}) {
            MemoryBlockDevice d = new MemoryBlockDevice("burst", SIZE);
            try (d; NbdServer other = NbdServer.builder().listen("127.0.0.1", 0).readThreads(helpers)
                    .export("burst", d, false, null).build();
                    NbdTestClient c = new NbdTestClient(other.start())) {
                c.go("burst", false, false);
                int n = 64;
                for (int i = 0; i < n; i++) { // all sent before any reply is read: payloads queue in the decoder
                    c.request(CMD_WRITE, 0, i, i * 8192L, 4096, random(4096, i));
                }
                for (int i = 0; i < n; i++) {
                    assertThat(c.reply(0).error()).isZero();
                }
                for (int i = 0; i < n; i++) {
                    c.request(CMD_READ, 0, 1000 + i, i * 8192L, 4096, null);
                }
                for (int i = 0; i < n; i++) { // replies may come in any order: match them by cookie
                    NbdTestClient.Reply r = c.reply(4096);
                    assertThat(r.payload()).as("read cookie %d, %d helpers", r.cookie(), helpers)
                            .isEqualTo(random(4096, r.cookie() - 1000));
                }
                assertThat(device(d, 4096, 4096)).isEqualTo(new byte[4096]); // the gaps stay zero
            }
        }
        assertThatThrownBy(() -> NbdServer.builder().readThreads(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("read threads -1");
    }

    @Test
    void aDeviceWithoutAllocationStatusIsAllData() throws Exception {
        GatedDevice plain = new GatedDevice(SIZE); // not an AllocationStatus
        plain.open();
        try (plain; NbdServer other = NbdServer.builder().listen("127.0.0.1", 0).export("plain", plain, false, null)
                .build()) {
            try (NbdTestClient c = new NbdTestClient(other.start())) {
                c.go("plain", true, true);
                c.request(CMD_STATUS, 0, 1, 4096, SIZE - 4096, null);
                assertThat(descriptors(c.reply(0))).containsExactly(SIZE - 4096, 0);
                c.request(CMD_READ, 0, 2, 0, 1 << 20, null); // no holes to send: one data chunk
                NbdTestClient.Reply r = c.reply(0);
                assertThat(r.type()).isEqualTo(1);
                assertThat(r.done()).isTrue();
                assertThat(r.payload().length).isEqualTo(8 + (1 << 20));
            }
        }
    }

    /** The (length, flags) pairs of a BLOCK_STATUS chunk, after its context id. */
    static long[] descriptors(NbdTestClient.Reply reply) {
        assertThat(reply.type()).isEqualTo(5);
        ByteBuffer b = ByteBuffer.wrap(reply.payload());
        assertThat(b.getInt()).isNotZero();
        long[] out = new long[b.remaining() / 4];
        for (int i = 0; i < out.length; i++) {
            out[i] = b.getInt() & 0xffffffffL;
        }
        return out;
    }

    @Test
    void blockStatusWithoutANegotiatedContextIsEinval() throws Exception {
        try (NbdTestClient c = new NbdTestClient(port)) {
            c.go("file", true, false);
            c.request(CMD_STATUS, 0, 1, 0, 4096, null);
            assertThat(c.reply(0).error()).isEqualTo(22);
        }
    }

    @Test
    void outOfRangeRequestsAreEinvalAndChangeNothing() throws Exception {
        try (NbdTestClient c = new NbdTestClient(port)) {
            c.go("mem", false, false);
            c.request(CMD_WRITE, 0, 1, SIZE - 100, 4096, fill(4096, 9));
            assertThat(c.reply(0).error()).isEqualTo(22);
            c.request(CMD_READ, 0, 2, SIZE, 1, null);
            assertThat(c.reply(1).error()).isEqualTo(22);
            c.request(CMD_READ, 0, 3, -4096, 4096, null); // 2^64 - 4096 as unsigned
            assertThat(c.reply(4096).error()).isEqualTo(22);
            c.request(CMD_TRIM, 0, 4, SIZE - 10, 4096, null);
            assertThat(c.reply(0).error()).isEqualTo(22);
            c.request(CMD_WRITE, 0, 5, 0, 4, fill(4, 1)); // the connection still works
            assertThat(c.reply(0).error()).isZero();
        }
        assertThat(device(mem, SIZE - 100, 100)).containsOnly(0);
    }

    @Test
    void readOnlyExportRefusesWritesTrimAndZeroesWithEperm() throws Exception {
        try (NbdTestClient c = new NbdTestClient(port)) {
            c.go("ro", false, false);
            c.request(CMD_WRITE, 0, 1, 0, 4096, fill(4096, 1));
            assertThat(c.reply(0).error()).isEqualTo(1);
            c.request(CMD_TRIM, 0, 2, 0, 4096, null);
            assertThat(c.reply(0).error()).isEqualTo(1);
            c.request(CMD_WZ, 0, 3, 0, 4096, null);
            assertThat(c.reply(0).error()).isEqualTo(1);
            c.request(CMD_FLUSH, 0, 4, 0, 0, null);
            assertThat(c.reply(0).error()).isZero();
            c.request(CMD_READ, 0, 5, 0, 4096, null);
            assertThat(c.reply(4096).payload()).containsOnly(0x5a);
        }
        assertThat(device(roDevice, 0, 4096)).containsOnly(0x5a);
    }

    @Test
    void trimAndWriteZeroesMakeRangesReadAsZeros() throws Exception {
        mem.write(0, MemorySegment.ofArray(fill(1 << 20, 3)));
        try (NbdTestClient c = new NbdTestClient(port)) {
            c.go("mem", false, false);
            c.request(CMD_TRIM, 1, 1, 0, 65536, null); // with FUA
            assertThat(c.reply(0).error()).isZero();
            c.request(CMD_WZ, 2, 2, 65536, 100_000, null); // NO_HOLE
            assertThat(c.reply(0).error()).isZero();
            c.request(CMD_WZ, 0, 3, 200_000, 1000, null);
            assertThat(c.reply(0).error()).isZero();
        }
        assertThat(device(mem, 0, 165536)).containsOnly(0);
        assertThat(device(mem, 165536, 200_000 - 165536)).containsOnly(3);
        assertThat(device(mem, 200_000, 1000)).containsOnly(0);
        assertThat(device(mem, 201_000, 1000)).containsOnly(3);
    }

    @Test
    void manyRequestsInFlightAllGetTheirOwnReply() throws Exception {
        int n = 300;
        for (int i = 0; i < n; i++) {
            mem.write(4096L * i, MemorySegment.ofArray(fill(4096, i)));
        }
        try (NbdTestClient c = new NbdTestClient(port)) {
            c.go("mem", false, false);
            for (int i = 0; i < n; i++) { // all sent before any reply is read
                if (i % 3 == 0) {
                    c.request(CMD_WRITE, i % 2 == 0 ? 1 : 0, 1000 + i, (n + i) * 4096L, 4096, fill(4096, i + 1));
                } else {
                    c.request(CMD_READ, 0, 1000 + i, 4096L * i, 4096, null);
                }
            }
            c.request(CMD_FLUSH, 0, 99, 0, 0, null);
            Set<Long> seen = new HashSet<>();
            for (int k = 0; k <= n; k++) {
                long cookie = peekCookieAndRead(c);
                assertThat(seen.add(cookie)).as("cookie %d answered once", cookie).isTrue();
            }
            assertThat(seen).hasSize(n + 1);
        }
        for (int i = 0; i < n; i += 3) {
            assertThat(device(mem, (n + i) * 4096L, 4096)).containsOnly(i + 1);
        }
    }

    /** Reads one simple reply whose length depends on its cookie (reads carry 4 KiB); checks read data. */
    private static long peekCookieAndRead(NbdTestClient c) throws Exception {
        assertThat(c.in.readInt()).isEqualTo(0x67446698);
        assertThat(c.in.readInt()).isZero();
        long cookie = c.in.readLong();
        int i = (int) (cookie - 1000);
        if (cookie != 99 && i % 3 != 0) {
            byte[] data = new byte[4096];
            c.in.readFully(data);
            assertThat(data).containsOnly(i);
        }
        return cookie;
    }

    @Test
    void malformedRequestClosesOnlyThatConnection() throws Exception {
        mem.write(0, MemorySegment.ofArray(fill(4096, 0x42)));
        try (NbdTestClient good = new NbdTestClient(port); NbdTestClient bad = new NbdTestClient(port);
             NbdTestClient big = new NbdTestClient(port)) {
            good.go("mem", true, false);
            bad.go("mem", true, false);
            big.go("mem", false, false);
            // bad magic
            new DataOutputStream(bad.out).write(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28});
            bad.out.flush();
            assertThat(bad.closedByServer()).isTrue();
            // a write announcing 64 MiB of payload: EINVAL, then the server closes
            big.request(CMD_WRITE, 0, 1, 0, 64 << 20, fill(1000, 0x66));
            NbdTestClient.Reply refused = big.reply(0);
            assertThat(refused.cookie()).isEqualTo(1);
            assertThat(refused.error()).isEqualTo(22);
            assertThat(big.closedByServer()).isTrue();
            good.request(CMD_READ, 0, 1, 0, 4096, null);
            NbdTestClient.Reply r = good.reply(0);
            assertThat(Arrays.copyOfRange(r.payload(), 8, r.payload().length)).containsOnly(0x42);
        }
        assertThat(device(mem, 0, 4096)).containsOnly(0x42);
        assertThat(device(mem, 4096, 4096)).containsOnly(0);
    }

    @Test
    void disconnectFinishesOutstandingWritesThenCloses() throws Exception {
        try (NbdTestClient c = new NbdTestClient(port)) {
            c.go("mem", false, false);
            for (int i = 0; i < 20; i++) {
                c.request(CMD_WRITE, 0, i, 65536L * i, 65536, fill(65536, i + 1));
            }
            c.request(CMD_DISC, 0, 100, 0, 0, null);
            for (int i = 0; i < 20; i++) {
                assertThat(c.reply(0).error()).isZero();
            }
            assertThat(c.closedByServer()).isTrue();
        }
        for (int i = 0; i < 20; i++) {
            assertThat(device(mem, 65536L * i, 65536)).containsOnly(i + 1);
        }
    }

    @Test
    void defaultExportNameNeedsExactlyOneExport() throws Exception {
        try (NbdTestClient c = new NbdTestClient(port).greet(3)) {
            assertThat(c.option(OPT_GO, NbdTestClient.infoRequest("")).getLast().type()).isEqualTo(REP_ERR_UNKNOWN);
        }
    }

    @Test
    void writesOnOneConnectionAreVisibleOnAnotherAfterFlush() throws Exception {
        byte[] data = random(65536, 9);
        try (NbdTestClient a = new NbdTestClient(port); NbdTestClient b = new NbdTestClient(port)) {
            assertThat(a.go("file", true, false) & (1 << 8)).as("CAN_MULTI_CONN").isNotZero();
            b.go("file", false, false);
            a.request(CMD_WRITE, 0, 1, 2 << 20, data.length, data);
            a.request(CMD_FLUSH, 0, 2, 0, 0, null);
            assertThat(a.reply(0).error()).isZero();
            assertThat(a.reply(0).error()).isZero();
            b.request(CMD_READ, 0, 3, 2 << 20, data.length, null);
            assertThat(b.reply(data.length).payload()).isEqualTo(data);
            assertThat(server.connectionCount()).isEqualTo(2);
        }
        byte[] onDisk = java.nio.file.Files.readAllBytes(dir.resolve("sparse.raw"));
        assertThat(Arrays.copyOfRange(onDisk, 2 << 20, (2 << 20) + data.length)).isEqualTo(data);
    }

    @Test
    void requestsSentTogetherWithGoAreServed() throws Exception {
        mem.write(0, MemorySegment.ofArray(fill(512, 0x3c)));
        try (NbdTestClient c = new NbdTestClient(port).greet(3)) {
            // NBD_OPT_GO and a READ in one write: the READ must reach the transmission phase
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            DataOutputStream d = new DataOutputStream(bytes);
            byte[] go = NbdTestClient.infoRequest("mem");
            d.writeLong(NbdTestClient.IHAVEOPT);
            d.writeInt(OPT_GO);
            d.writeInt(go.length);
            d.write(go);
            d.writeInt(NbdTestClient.REQUEST_MAGIC);
            d.writeShort(0);
            d.writeShort(CMD_READ);
            d.writeLong(77);
            d.writeLong(0);
            d.writeInt(512);
            c.out.write(bytes.toByteArray());
            c.out.flush();
            while (c.readOptionReply().type() != 1) {
                // NBD_REP_INFO replies until the ACK
            }
            NbdTestClient.Reply r = c.reply(512);
            assertThat(r.cookie()).isEqualTo(77);
            assertThat(r.payload()).containsOnly(0x3c);
        }
    }
}
