package io.amiforge.imagefmt.vmdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageConverter;
import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageInfo;
import io.amiforge.imagefmt.sparse.QemuImg;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** VMDK against qemu-img's vmdk driver: every subformat qemu writes reads back, ours pass check and compare. */
@Tag("interop")
class VmdkInteropTest {

    private static final long SIZE = (20L << 20) + 7 * 512;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"monolithicSparse", "streamOptimized", "monolithicFlat", "twoGbMaxExtentSparse", "twoGbMaxExtentFlat"})
    void imagesQemuWritesReadBackByteIdentically(String subformat) throws Exception {
        Path raw = QemuImg.patternRaw(dir.resolve("src.raw"), SIZE, 1);
        Path vmdk = dir.resolve("qemu.vmdk");
        QemuImg.run(dir, "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=" + subformat, raw.toString(), vmdk.toString()).orFail();
        Path expected = QemuImg.toRaw(vmdk, "vmdk");
        assertThat(ImageFormats.probe(vmdk).name()).isEqualTo("vmdk");
        try (BlockDevice device = ImageFormats.open(vmdk, true)) {
            QemuImg.assertSameContent(device, expected);
        }
        assertThat(ImageFormats.info(vmdk).formatSpecific()).containsEntry("createType", subformat);
    }

    @Test
    void compressedGrainsReadWholeIntoNativeMemoryAndInParts() throws Exception {
        Path raw = QemuImg.patternRaw(dir.resolve("src.raw"), SIZE, 5);
        byte[] head = new byte[512 << 10]; // the first grains hold data: half random, half compressible
        new Random(5).nextBytes(head);
        Arrays.fill(head, 100_000, 300_000, (byte) 'x');
        try (FileChannel c = FileChannel.open(raw, StandardOpenOption.WRITE)) {
            c.write(ByteBuffer.wrap(head), 0);
        }
        Path vmdk = dir.resolve("stream.vmdk");
        QemuImg.run(dir, "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", raw.toString(), vmdk.toString()).orFail();
        // conversion reads whole grains into native buffers: they are inflated straight into the destination
        Path back = dir.resolve("back.raw");
        ImageConverter.convert(vmdk, back, "raw", CreateOptions.defaults());
        QemuImg.compare(vmdk, "vmdk", back);
        // a native read that starts and ends inside grains mixes the two paths
        byte[] expected = Files.readAllBytes(raw);
        try (BlockDevice device = ImageFormats.open(vmdk, true); Arena arena = Arena.ofConfined()) {
            long at = 65536 - 1000;
            MemorySegment dst = arena.allocate(3 * 65536 + 2000);
            device.read(at, dst);
            assertThat(dst.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(Arrays.copyOfRange(expected, (int) at, (int) (at + dst.byteSize())));
            MemorySegment grain = arena.allocate(65536);
            device.read(65536, grain);
            assertThat(grain.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(Arrays.copyOfRange(expected, 65536, 2 * 65536));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"twoGbMaxExtentSparse", "twoGbMaxExtentFlat"})
    void multiExtentDisksReadAcrossTheirExtents(String subformat) throws Exception {
        long size = (4L << 30) + (64L << 20);
        Path raw = dir.resolve("big.raw");
        try (FileChannel c = FileChannel.open(raw, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            Random random = new Random(4);
            for (long at : new long[] {0, (2L << 30) - 4096, (2L << 30) + 12345, size - 100_000}) {
                byte[] data = new byte[70_000];
                random.nextBytes(data);
                c.write(ByteBuffer.wrap(data), at);
            }
            c.truncate(size);
        }
        Path vmdk = dir.resolve("big.vmdk");
        QemuImg.run(dir, "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=" + subformat, raw.toString(), vmdk.toString()).orFail();
        assertThat(ImageFormats.info(vmdk).formatSpecific().get("extents")).isEqualTo(3);
        Path ours = dir.resolve("ours.raw");
        ImageConverter.convert(vmdk, ours, "raw", CreateOptions.defaults());
        QemuImg.compare(vmdk, "vmdk", ours);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"monolithicSparse", "streamOptimized"})
    void imagesWeWritePassCheckAndCompare(String subformat) throws Exception {
        Path raw = QemuImg.patternRaw(dir.resolve("src.raw"), SIZE, 2);
        Path vmdk = dir.resolve("ours.vmdk");
        ImageConverter.convert(raw, vmdk, "vmdk", CreateOptions.defaults().withSubformat(subformat));
        QemuImg.check(vmdk, "vmdk");
        QemuImg.compare(vmdk, "vmdk", raw);
        ImageInfo info = ImageFormats.info(vmdk);
        assertThat(info.formatSpecific()).containsEntry("createType", subformat);
        assertThat(info.virtualSize()).isEqualTo(SIZE);
        try (BlockDevice device = ImageFormats.open(vmdk, true)) {
            QemuImg.assertSameContent(device, raw);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"monolithicSparse", "streamOptimized"})
    void randomWritesReadBackAndQemuAgrees(String subformat) throws Exception {
        Path vmdk = dir.resolve("w.vmdk");
        Path model = dir.resolve("model.raw");
        try (BlockDevice device = ImageFormats.create(vmdk, "vmdk", SIZE, CreateOptions.defaults().withSubformat(subformat))) {
            QemuImg.scribble(device, model, 8);
            QemuImg.assertSameContent(device, model);
        }
        QemuImg.check(vmdk, "vmdk");
        QemuImg.compare(vmdk, "vmdk", model);
    }

    @Test
    void concurrentWritersToFreshGrainTablesLoseNothing() throws Exception {
        int grain = 65536;
        for (int round = 0; round < 30; round++) {
            Path vmdk = dir.resolve("c" + round + ".vmdk");
            try (BlockDevice device = ImageFormats.create(vmdk, "vmdk", 64L << 20, CreateOptions.defaults())) {
                Thread[] writers = new Thread[2];
                for (int t = 0; t < writers.length; t++) {
                    int first = t;
                    writers[t] = Thread.ofPlatform().start(() -> {
                        byte[] data = new byte[grain];
                        for (int g = first; g < 1024; g += 2) {
                            Arrays.fill(data, (byte) (g % 251 + 1));
                            device.write((long) g * grain, MemorySegment.ofArray(data));
                        }
                    });
                }
                for (Thread t : writers) {
                    t.join();
                }
                byte[] back = new byte[grain];
                for (int g = 0; g < 1024; g++) {
                    device.read((long) g * grain, MemorySegment.ofArray(back));
                    assertThat(back[grain - 1]).as("round %d, grain %d", round, g).isEqualTo((byte) (g % 251 + 1));
                }
            }
        }
    }

    @Test
    void damagedStructuresAreNamedWithTheirOffsets() throws Exception {
        Path raw = QemuImg.patternRaw(dir.resolve("src.raw"), SIZE, 3);
        Path vmdk = dir.resolve("good.vmdk");
        QemuImg.run(dir, "convert", "-f", "raw", "-O", "vmdk", raw.toString(), vmdk.toString()).orFail();
        ByteBuffer header = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel c = FileChannel.open(vmdk)) {
            c.read(header, 0);
        }
        long gd = header.getLong(56) * 512;

        Path magic = copy(vmdk, "magic.vmdk");
        QemuImg.poke(magic, 20, (byte) 3); // grainSize 0x83 sectors: not a power of two
        assertOpenFails(magic, "grainSize", "file offset 20");
        Path gdEntry = copy(vmdk, "gd.vmdk");
        QemuImg.poke(gdEntry, gd, (byte) 0, (byte) 0, (byte) 0, (byte) 0x7f);
        assertOpenFails(gdEntry, "grain directory entry 0", "0x" + Long.toHexString(gd), "beyond the end of the file");
        Path capacity = copy(vmdk, "capacity.vmdk");
        QemuImg.poke(capacity, 12, (byte) 0, (byte) 0, (byte) 0, (byte) 0, (byte) 0, (byte) 0x10);
        assertOpenFails(capacity, "VMDK grain directory", "beyond the end of the file");
        int gt0;
        try (FileChannel c = FileChannel.open(vmdk)) {
            ByteBuffer e = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            c.read(e, gd);
            gt0 = e.getInt(0);
        }
        Path gtEntry = copy(vmdk, "gt.vmdk");
        QemuImg.poke(gtEntry, gt0 * 512L + 8, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0x7f);
        assertOpenFails(gtEntry, "grain table 0 entry 2", "beyond the end of the file");

        Path descriptor = dir.resolve("desc.vmdk");
        Files.writeString(descriptor, "# Disk DescriptorFile\nversion=1\ncreateType=\"monolithicFlat\"\nRW many FLAT \"x-flat.vmdk\" 0\n",
                StandardCharsets.US_ASCII);
        assertOpenFails(descriptor, "extent line 4", "is not a number");
        Path escape = dir.resolve("escape.vmdk");
        Files.writeString(escape, "# Disk DescriptorFile\nversion=1\ncreateType=\"monolithicFlat\"\nRW 8 FLAT \"../etc/passwd\" 0\n",
                StandardCharsets.US_ASCII);
        assertOpenFails(escape, "refusing backing file '../etc/passwd'");
    }

    @Test
    void truncatedStreamNamesItsFooter() throws Exception {
        Path raw = QemuImg.patternRaw(dir.resolve("src.raw"), SIZE, 4);
        Path vmdk = dir.resolve("s.vmdk");
        ImageConverter.convert(raw, vmdk, "vmdk", CreateOptions.defaults().withSubformat("streamOptimized"));
        try (FileChannel c = FileChannel.open(vmdk, StandardOpenOption.WRITE)) {
            c.truncate(c.size() - 4096);
        }
        assertOpenFails(vmdk, "VMDK stream footer at file offset");
    }

    private Path copy(Path from, String name) throws Exception {
        return Files.copy(from, dir.resolve(name));
    }

    private static void assertOpenFails(Path file, String... fragments) {
        assertThatThrownBy(() -> {
            try (BlockDevice device = ImageFormats.open(file, true)) {
                device.read(0, MemorySegment.ofArray(new byte[512]));
            }
        }).isInstanceOf(ImageFormatException.class).hasMessageContainingAll(fragments);
    }
}
