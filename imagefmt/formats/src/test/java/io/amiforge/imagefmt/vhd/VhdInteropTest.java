package io.amiforge.imagefmt.vhd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageConverter;
import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageInfo;
import io.amiforge.imagefmt.format.ImageSource;
import io.amiforge.imagefmt.sparse.QemuImg;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** VHD against qemu-img's vpc driver: both directions, fixed and dynamic, plus differencing and damaged files. */
@Tag("interop")
class VhdInteropTest {

    /** 20 MiB: a size the VHD CHS geometry covers exactly, so qemu-img keeps it without force_size. */
    private static final long SIZE = 20L << 20;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dynamic", "fixed", "dynamic,force_size=on", "fixed,force_size=on"})
    void imagesQemuWritesReadBackByteIdentically(String subformat) throws Exception {
        Path raw = QemuImg.patternRaw(dir.resolve("src.raw"), SIZE + 3 * 512, 1);
        Path vhd = dir.resolve("qemu.vhd");
        QemuImg.run(dir, "convert", "-f", "raw", "-O", "vpc", "-o", "subformat=" + subformat, raw.toString(), vhd.toString()).orFail();
        Path expected = QemuImg.toRaw(vhd, "vpc");
        try (BlockDevice device = ImageFormats.open(ImageSource.of(vhd).withFormat("vpc"), true)) {
            QemuImg.assertSameContent(device, expected);
        }
        if (subformat.startsWith("dynamic")) {
            assertThat(ImageFormats.probe(vhd).name()).isEqualTo("vpc");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dynamic", "fixed"})
    void imagesWeWriteCompareEqualInQemu(String subformat) throws Exception {
        for (long size : new long[] {SIZE, SIZE + 7 * 512}) {
            Path raw = QemuImg.patternRaw(dir.resolve("src.raw"), size, size);
            Path vhd = dir.resolve("ours.vhd");
            ImageConverter.convert(raw, vhd, "vpc", CreateOptions.defaults().withSubformat(subformat));
            QemuImg.compare(vhd, "vpc", raw);
            ImageInfo info = ImageFormats.info(ImageSource.of(vhd).withFormat("vpc"));
            assertThat(info.virtualSize()).isEqualTo(size);
            assertThat(info.formatSpecific()).containsEntry("subformat", subformat);
            try (BlockDevice device = ImageFormats.open(ImageSource.of(vhd).withFormat("vpc"), true)) {
                QemuImg.assertSameContent(device, raw);
            }
        }
    }

    @Test
    void writesInPlaceReadBackAndQemuAgrees() throws Exception {
        Path vhd = dir.resolve("w.vhd");
        Path model = dir.resolve("model.raw");
        try (BlockDevice device = ImageFormats.create(vhd, "vpc", SIZE, CreateOptions.defaults())) {
            QemuImg.scribble(device, model, 5);
            device.flush();
            QemuImg.assertSameContent(device, model);
        }
        QemuImg.compare(vhd, "vpc", model);
    }

    @Test
    void differencingChildReadsItsSectorsOverTheParent() throws Exception {
        Path raw = QemuImg.patternRaw(dir.resolve("base.raw"), SIZE, 9);
        Path parent = dir.resolve("parent.vhd");
        ImageConverter.convert(raw, parent, "vpc", CreateOptions.defaults());
        Path child = dir.resolve("child.vhd");
        Path model = dir.resolve("model.raw");
        Files.copy(raw, model);
        Random random = new Random(3);
        try (BlockDevice device = ImageFormats.create(child, "vpc", -1, CreateOptions.defaults().withBacking("parent.vhd", null));
             FileChannel c = FileChannel.open(model, StandardOpenOption.WRITE)) {
            for (int i = 0; i < 40; i++) {
                byte[] data = new byte[1 + random.nextInt(100_000)];
                random.nextBytes(data);
                long offset = (long) (random.nextDouble() * (SIZE - data.length));
                device.write(offset, MemorySegment.ofArray(data));
                c.write(ByteBuffer.wrap(data), offset);
            }
        }
        ImageInfo info = ImageFormats.info(child);
        assertThat(info.backingFile()).isEqualTo("parent.vhd");
        assertThat(info.backingChain()).hasSize(2);
        try (BlockDevice device = ImageFormats.open(child, true)) {
            QemuImg.assertSameContent(device, model);
        }
        // The parent is a backing file: a locator that leaves the image's directory is refused.
        Path sub = Files.createDirectory(dir.resolve("sub"));
        Files.move(child, sub.resolve("child.vhd"));
        assertThatThrownBy(() -> ImageFormats.open(sub.resolve("child.vhd"), true))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("parent.vhd");
    }

    @Test
    void damagedStructuresAreNamedWithTheirOffsets() throws Exception {
        Path raw = QemuImg.patternRaw(dir.resolve("src.raw"), SIZE, 2);
        Path vhd = dir.resolve("bad.vhd");
        QemuImg.run(dir, "convert", "-f", "raw", "-O", "vpc", raw.toString(), vhd.toString()).orFail();
        long size = Files.size(vhd);
        Path footerSum = copy(vhd, "sum.vhd");
        QemuImg.poke(footerSum, size - 512 + 64, (byte) 1, (byte) 2);
        assertOpenFails(footerSum, "VHD footer checksum", String.valueOf(size - 512 + 64));
        Path entries = copy(vhd, "entries.vhd");
        QemuImg.poke(entries, 512 + 28, (byte) 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff);
        fixHeaderChecksum(entries);
        assertOpenFails(entries, "BAT", "does not fit in the file");
        Path batEntry = copy(vhd, "entry.vhd");
        QemuImg.poke(batEntry, 1536, (byte) 0x7f, (byte) 0, (byte) 0, (byte) 0);
        assertOpenFails(batEntry, "VHD BAT entry 0 (file offset 0x600)", "beyond the end of the file");
        Path cookie = copy(vhd, "cookie.vhd");
        QemuImg.poke(cookie, 512, (byte) 'x');
        assertOpenFails(cookie, "dynamic header at file offset 512", "cxsparse");
    }

    private Path copy(Path from, String name) throws Exception {
        return Files.copy(from, dir.resolve(name));
    }

    private static void fixHeaderChecksum(Path file) throws Exception {
        byte[] header = new byte[1024];
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ)) {
            c.read(ByteBuffer.wrap(header), 512);
        }
        int sum = VhdFooter.checksum(ByteBuffer.wrap(header), 36);
        QemuImg.poke(file, 512 + 36, ByteBuffer.allocate(4).putInt(sum).array());
    }

    private static void assertOpenFails(Path file, String... fragments) {
        assertThatThrownBy(() -> {
            try (BlockDevice device = ImageFormats.open(ImageSource.of(file).withFormat("vpc"), true)) {
                device.read(0, MemorySegment.ofArray(new byte[512]));
            }
        }).isInstanceOf(ImageFormatException.class).hasMessageContainingAll(fragments);
    }
}
