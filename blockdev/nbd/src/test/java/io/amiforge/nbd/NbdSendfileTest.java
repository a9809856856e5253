package io.amiforge.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.AbstractBlockDevice;
import io.amiforge.blockdev.FileBacked;
import io.amiforge.blockdev.FileBlockDevice;
import io.amiforge.blockdev.MemoryBlockDevice;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads of {@link FileBacked} exports are sent from the file ({@link FileSlice}, counted by
 * {@link NbdServer#readsSentFromFile}) when at least {@link NbdConnection.STREAM_MIN_READ} long, and return what the device reads, simple and structured,
 * holes and all; other devices and {@code sendfile(false)} take the buffer path. A write whose
 * reply came is seen by the next read; a closed device is an error reply; a file shrunk under
 * the export closes the connection.
 */
class NbdSendfileTest {

    private static final int CMD_READ = 0, CMD_WRITE = 1;
    private static final int SIZE = 4 << 20;

    @TempDir
    Path dir;
    FileBlockDevice file;
    MemoryBlockDevice mem;
    OffsetFileDevice offsetDevice;
    NbdServer server;
    int port;

    @BeforeEach
    void start() throws IOException {
        file = FileBlockDevice.create(dir.resolve("sparse.raw"), SIZE);
        file.write(1 << 20, MemorySegment.ofArray(random(200_000, 1))); // data in [1 MiB, +200000), holes around
        file.write(3 << 20, MemorySegment.ofArray(random(4096, 2)));
        mem = new MemoryBlockDevice("mem", SIZE);
        mem.write(0, MemorySegment.ofArray(random(SIZE, 3)));
        offsetDevice = new OffsetFileDevice(dir.resolve("offset.img"), 8192, 1 << 20);
        offsetDevice.write(0, MemorySegment.ofArray(random(1 << 20, 4)));
        server = NbdServer.builder().listen("127.0.0.1", 0).sendfile(true)
                .export("file", file, false, null)
                .export("mem", mem, false, null)
                .export("offset", offsetDevice, false, null)
                .build();
        port = server.start();
    }

    @AfterEach
    void stop() {
        server.close();
        file.close();
        mem.close();
        offsetDevice.close();
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] expected(io.amiforge.blockdev.BlockDevice device, long offset, int length) {
        byte[] b = new byte[length];
        device.read(offset, MemorySegment.ofArray(b));
        return b;
    }

    /** Reads a whole reply, simple or structured (data and hole chunks), into one array. */
    private static byte[] readReply(NbdTestClient c, long cookie, long offset, int length) throws IOException {
        NbdTestClient.Reply r = c.reply(length);
        assertThat(r.cookie()).isEqualTo(cookie);
        assertThat(r.error()).isZero();
        if (!r.structured()) {
            return r.payload();
        }
        byte[] out = new byte[length];
        Arrays.fill(out, (byte) 0x5c); // every byte must be covered by a chunk
        while (true) {
            ByteBuffer b = ByteBuffer.wrap(r.payload());
            int at = (int) (b.getLong() - offset);
            if (r.type() == 2) {
                Arrays.fill(out, at, at + b.getInt(), (byte) 0);
            } else {
                assertThat(r.type()).isEqualTo(1);
                b.get(out, at, b.remaining());
            }
            if (r.done()) {
                return out;
            }
            r = c.reply(0);
            assertThat(r.cookie()).isEqualTo(cookie);
        }
    }

    private byte[] read(NbdTestClient c, long cookie, int flags, long offset, int length) throws IOException {
        c.request(CMD_READ, flags, cookie, offset, length, null);
        return readReply(c, cookie, offset, length);
    }

    @Test
    void rawFileReadsAreSentFromTheFileAndEqualTheDevice() throws Exception {
        long[][] ranges = {{0, 65536}, {(1 << 20) - 5000, 300_000}, {(1 << 20) + 100, 65536}, {0, SIZE},
            {(3 << 20) + 17, 70_000}};
        for (boolean structured : new boolean[] {false, true}) {
            try (NbdTestClient c = new NbdTestClient(port)) {
                c.go("file", structured, false);
                long before = server.readsSentFromFile();
                long cookie = 1;
                for (long[] range : ranges) {
                    for (int flags : new int[] {0, 1 << 2}) { // and with DF: one data chunk
                        int length = (int) range[1];
                        assertThat(read(c, cookie++, flags, range[0], length))
                                .as("%s read [%d, +%d) flags %d", structured ? "structured" : "simple",
                                        range[0], length, flags)
                                .isEqualTo(expected(file, range[0], length));
                    }
                }
                assertThat(server.readsSentFromFile() - before).isEqualTo(2L * ranges.length);
                assertThat(read(c, cookie, 0, 4096, 512)).isEqualTo(expected(file, 4096, 512));
                assertThat(server.readsSentFromFile() - before).as("a short read: one write from a buffer")
                        .isEqualTo(2L * ranges.length);
            }
        }
    }

    @Test
    void aBackingOffsetIsHonoured() throws Exception {
        try (NbdTestClient c = new NbdTestClient(port)) {
            c.go("offset", false, false);
            assertThat(read(c, 1, 0, 12345, 100_000)).isEqualTo(expected(offsetDevice, 12345, 100_000));
            assertThat(server.readsSentFromFile()).isEqualTo(1);
        }
    }

    @Test
    void devicesThatAreNotAFileTakeTheBufferPath() throws Exception {
        try (NbdTestClient c = new NbdTestClient(port)) {
            c.go("mem", true, false);
            assertThat(read(c, 1, 0, 4096, 100_000)).isEqualTo(expected(mem, 4096, 100_000));
            assertThat(read(c, 2, 0, 0, 512)).isEqualTo(expected(mem, 0, 512));
        }
        assertThat(server.readsSentFromFile()).isZero();
    }

    @Test
    void sendfileOffReadsThroughThePipelineWithTheSameBytes() throws Exception {
        try (NbdServer off = NbdServer.builder().listen("127.0.0.1", 0).sendfile(false)
                .export("file", file, false, null).build();
             NbdTestClient c = new NbdTestClient(off.start())) {
            c.go("file", true, false);
            assertThat(read(c, 1, 0, (1 << 20) - 5000, 300_000)).isEqualTo(expected(file, (1 << 20) - 5000, 300_000));
            assertThat(off.readsSentFromFile()).isZero();
        }
    }

    @Test
    void aReadAfterAWriteReplySeesTheWrite() throws Exception {
        try (NbdTestClient c = new NbdTestClient(port)) {
            c.go("file", false, false);
            for (int i = 0; i < 20; i++) {
                byte[] data = random(NbdConnection.STREAM_MIN_READ, 100 + i);
                long offset = (long) data.length * i;
                c.request(CMD_WRITE, 0, 1000 + i, offset, data.length, data);
                NbdTestClient.Reply w = c.reply(0);
                assertThat(w.error()).isZero();
                assertThat(read(c, 2000 + i, 0, offset, data.length)).isEqualTo(data);
            }
        }
    }

    @Test
    void aClosedDeviceIsAnErrorReplyAndTheConnectionStays() throws Exception {
        try (NbdTestClient c = new NbdTestClient(port)) {
            c.go("offset", false, false);
            offsetDevice.close();
            c.request(CMD_READ, 0, 7, 0, 65536, null);
            NbdTestClient.Reply r = c.reply(65536);
            assertThat(r.cookie()).isEqualTo(7);
            assertThat(r.error()).isEqualTo(NbdProtocol.ESHUTDOWN);
            c.request(CMD_READ, 0, 8, 0, 65536, null);
            assertThat(c.reply(65536).error()).isEqualTo(NbdProtocol.ESHUTDOWN);
        }
    }

    @Test
    void aFileShrunkUnderTheExportClosesTheConnectionAfterTheHeader() throws Exception {
        try (NbdTestClient c = new NbdTestClient(port);
             FileChannel raw = FileChannel.open(dir.resolve("sparse.raw"), StandardOpenOption.WRITE)) {
            c.go("file", false, false);
            raw.truncate(1 << 20);
            c.request(CMD_READ, 0, 9, (1 << 20) - 4096, 65536, null);
            c.socket.setSoTimeout(10_000);
            NbdTestClient.Reply r = c.reply(0); // the header went out with no error: then only 4096 bytes
            assertThat(r.cookie()).isEqualTo(9);
            assertThat(r.error()).isZero();
            byte[] got = c.in.readNBytes(65536);
            assertThat(got.length).isEqualTo(4096);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    /** A device stored at {@code offset} of a file, as a raw image inside a container would be. */
    private static final class OffsetFileDevice extends AbstractBlockDevice implements FileBacked {
        private final FileChannel channel;
        private final long base;

        OffsetFileDevice(Path path, long base, long size) throws IOException {
            super("offset", size, 512, false);
            this.channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            this.base = base;
            channel.write(ByteBuffer.wrap(random((int) base, 9)), 0); // bytes before the device's
            channel.truncate(base + size);
        }

        @Override
        public FileChannel backingFile() {
            checkOpen();
            return channel;
        }

        @Override
        public long backingOffset() {
            return base;
        }

        @Override
        protected void doRead(long offset, MemorySegment dst) {
            try {
                channel.read(dst.asByteBuffer(), base + offset);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        protected void doWrite(long offset, MemorySegment src) {
            try {
                ByteBuffer b = src.asByteBuffer();
                while (b.hasRemaining()) {
                    channel.write(b, base + offset + b.position());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        protected void doFlush() {
        }

        @Override
        protected void doDiscard(long offset, long length) {
            doWrite(offset, MemorySegment.ofArray(new byte[(int) length]));
        }

        @Override
        protected void doClose() {
            try {
                channel.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
