package io.amiforge.imagefmt.vhdx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageInfo;
import io.amiforge.imagefmt.sparse.QemuImg;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** VHDX written by qemu-img reads back byte-identically; a pending log is replayed as qemu replays it. */
@Tag("interop")
class VhdxInteropTest {

    private static final long SIZE = (40L << 20) + 4096;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"subformat=dynamic", "subformat=fixed", "subformat=dynamic,block_size=1M", "subformat=dynamic,block_size=32M"})
    void imagesQemuWritesReadBackByteIdentically(String options) throws Exception {
        Path raw = QemuImg.patternRaw(dir.resolve("src.raw"), SIZE, 6);
        Path vhdx = dir.resolve("q.vhdx");
        QemuImg.run(dir, "convert", "-f", "raw", "-O", "vhdx", "-o", options, raw.toString(), vhdx.toString()).orFail();
        assertThat(ImageFormats.probe(vhdx).name()).isEqualTo("vhdx");
        try (BlockDevice device = ImageFormats.open(vhdx, true)) {
            QemuImg.assertSameContent(device, QemuImg.toRaw(vhdx, "vhdx"));
            QemuImg.assertSameContent(device, raw);
        }
        ImageInfo info = ImageFormats.info(vhdx);
        assertThat(info.virtualSize()).isEqualTo(SIZE);
        assertThat(info.formatSpecific()).containsEntry("logReplayNeeded", false);
    }

    @Test
    void aPendingLogIsReplayedInMemoryAsQemuReplaysIt() throws Exception {
        Path raw = QemuImg.patternRaw(dir.resolve("src.raw"), SIZE, 7);
        Path vhdx = dir.resolve("log.vhdx");
        QemuImg.run(dir, "convert", "-f", "raw", "-O", "vhdx", raw.toString(), vhdx.toString()).orFail();
        byte[] model = Files.readAllBytes(raw);
        byte[] file = Files.readAllBytes(vhdx);
        long guest = -1;
        long host = -1;
        for (long g = 0; g < SIZE && host < 0; g += 4096) {
            byte[] page = Arrays.copyOfRange(model, (int) g, (int) g + 4096);
            if (page[0] != 0 && page[100] != 0) {
                for (int f = 1 << 20; f + 4096 <= file.length; f += 4096) {
                    if (Arrays.equals(file, f, f + 4096, page, 0, 4096)) {
                        guest = g;
                        host = f;
                        break;
                    }
                }
            }
        }
        assertThat(host).as("a data page of the source in the image").isPositive();
        byte[] page = new byte[4096];
        new Random(1).nextBytes(page);
        System.arraycopy(page, 0, model, (int) guest, 4096);
        Path expected = Files.write(dir.resolve("expected.raw"), model);

        VhdxHeader header = VhdxHeader.current(io.amiforge.imagefmt.sparse.HostFile.open(vhdx, true));
        UUID guid = UUID.randomUUID();
        ByteBuffer entry = ByteBuffer.allocate(8192).order(ByteOrder.LITTLE_ENDIAN);
        entry.putInt(0, 0x65676f6c).putInt(8, 8192).putInt(12, 0).putLong(16, 5).putInt(24, 1);
        putGuid(entry, 32, guid);
        entry.putLong(48, file.length).putLong(56, file.length);
        entry.putInt(64, 0x63736564).putInt(68, ByteBuffer.wrap(page, 4092, 4).order(ByteOrder.LITTLE_ENDIAN).getInt())
                .putLong(72, ByteBuffer.wrap(page, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong()).putLong(80, host).putLong(88, 5);
        entry.putInt(4096, 0x61746164).putInt(4100, 0);
        entry.put(4104, page, 8, 4084);
        entry.putInt(8188, 5);
        entry.putInt(4, Checksums.crc32c(entry, 4));
        ByteBuffer head = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel c = FileChannel.open(vhdx, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            c.write(entry, header.logOffset());
            c.read(head, header.offset());
            putGuid(head, 48, guid);
            head.putInt(4, Checksums.crc32c(head, 4));
            c.write(head.rewind(), header.offset());
        }
        try (BlockDevice device = ImageFormats.open(vhdx, true)) {
            QemuImg.assertSameContent(device, expected);
        }
        assertThat(ImageFormats.info(vhdx).formatSpecific()).containsEntry("logReplayNeeded", true);
        assertThatThrownBy(() -> ImageFormats.open(vhdx, false)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("log holds entries"); // we replay only in memory, so we do not write
        QemuImg.run(dir, "check", "-r", "all", vhdx.toString()); // qemu replays the log when it opens the image read-write
        QemuImg.compare(vhdx, "vhdx", expected);
    }

    private static void putGuid(ByteBuffer b, int at, UUID guid) {
        long high = guid.getMostSignificantBits();
        b.order(ByteOrder.LITTLE_ENDIAN).putInt(at, (int) (high >>> 32)).putShort(at + 4, (short) (high >>> 16)).putShort(at + 6, (short) high);
        b.order(ByteOrder.BIG_ENDIAN).putLong(at + 8, guid.getLeastSignificantBits());
        b.order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void damagedStructuresAreNamedWithTheirOffsets() throws Exception {
        Path raw = QemuImg.patternRaw(dir.resolve("src.raw"), SIZE, 8);
        Path vhdx = dir.resolve("good.vhdx");
        QemuImg.run(dir, "convert", "-f", "raw", "-O", "vhdx", raw.toString(), vhdx.toString()).orFail();
        Path headers = Files.copy(vhdx, dir.resolve("headers.vhdx"));
        QemuImg.poke(headers, (64 << 10) + 100, (byte) 1);
        QemuImg.poke(headers, (128 << 10) + 100, (byte) 1);
        assertOpenFails(headers, "neither VHDX header", "65536", "131072");
        Path regions = Files.copy(vhdx, dir.resolve("regions.vhdx"));
        QemuImg.poke(regions, (192 << 10) + 40, (byte) 1);
        QemuImg.poke(regions, (256 << 10) + 40, (byte) 1);
        assertOpenFails(regions, "region table checksum (file offset 196612)");
        Path bat = Files.copy(vhdx, dir.resolve("bat.vhdx"));
        try (FileChannel c = FileChannel.open(bat, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer table = ByteBuffer.allocate(64 << 10).order(ByteOrder.LITTLE_ENDIAN);
            c.read(table, 192 << 10);
            long batOffset = -1;
            for (int i = 0; i < table.getInt(8); i++) {
                if (Guids.read(table, 16 + 32 * i).equals(Guids.BAT)) {
                    batOffset = table.getLong(16 + 32 * i + 16);
                }
            }
            c.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, (0x7ffffL << 20) | 6), batOffset);
            assertOpenFails(bat, "VHDX BAT entry 0 (file offset 0x" + Long.toHexString(batOffset) + ")", "beyond the end of the file");
        }
    }

    private static void assertOpenFails(Path file, String... fragments) {
        assertThatThrownBy(() -> {
            try (BlockDevice device = ImageFormats.open(file, true)) {
                device.read(0, MemorySegment.ofArray(new byte[512]));
            }
        }).isInstanceOf(ImageFormatException.class).hasMessageContainingAll(fragments);
    }
}
