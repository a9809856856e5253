package io.amiforge.imagefmt.qcow2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageConverter;
import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.testkit.Processes;
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

/** qcow2 images with compression type zstd (incompatible feature bit 3), as qemu-img writes them. */
@Tag("interop")
class Qcow2ZstdInteropTest {

    private static final long SIZE = 24L << 20;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "cluster {0}")
    @ValueSource(ints = {4096, 65536, 2097152})
    void compressedClustersQemuWritesReadBackByteIdentically(int clusterSize) throws Exception {
        Path raw = Qemu.patternRaw(dir.resolve("src.raw"), SIZE, clusterSize);
        Path image = dir.resolve("z.qcow2");
        Qemu.img(dir, "convert", "-c", "-f", "raw", "-O", "qcow2", "-o", "compression_type=zstd,cluster_size=" + clusterSize,
                raw.toString(), image.toString()).orFail();
        assertThat(ImageFormats.info(image).formatSpecific()).containsEntry("compressionType", "zstd");
        try (BlockDevice device = ImageFormats.open(image, true)) {
            Qemu.assertSameContent(device, raw);
        }
        Path flat = dir.resolve("flat.raw");
        ImageConverter.convert(image, flat, "raw", CreateOptions.defaults());
        Qemu.compare(flat, raw);
    }

    @ParameterizedTest(name = "{0}, cluster {1}")
    @org.junit.jupiter.params.provider.CsvSource({"zstd,65536", "zstd,4096", "zlib,65536", "zstd,2097152"})
    void compressedImagesWeWritePassCheckAndCompare(String type, int clusterSize) throws Exception {
        Path raw = Qemu.patternRaw(dir.resolve("src.raw"), SIZE + 4096, clusterSize + 1);
        Path image = dir.resolve("ours.qcow2");
        ImageConverter.convert(raw, image, "qcow2", CreateOptions.defaults().withClusterSize(clusterSize)
                .withCompressionType(type).withCompressed(true));
        Qemu.check(image);
        Qemu.compare(image, raw);
        Processes.Result info = Qemu.img(dir, "info", image.toString());
        assertThat(info.output()).contains("compression type: " + type);
        Path plain = dir.resolve("plain.qcow2");
        ImageConverter.convert(raw, plain, "qcow2", CreateOptions.defaults().withClusterSize(clusterSize));
        assertThat(Files.size(image)).as("compressed image size").isLessThan(Files.size(plain));
        try (BlockDevice device = ImageFormats.open(image, true)) {
            Qemu.assertSameContent(device, raw);
        }
    }

    @Test
    void compressionIsRefusedForFormatsWithoutIt() throws Exception {
        Path raw = Qemu.patternRaw(dir.resolve("src.raw"), SIZE, 1);
        assertThatThrownBy(() -> ImageConverter.convert(raw, dir.resolve("x.vhd"), "vpc", CreateOptions.defaults().withCompressed(true)))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("compress");
        assertThat(dir.resolve("x.vhd")).doesNotExist();
    }

    @Test
    void writesOverCompressedClustersKeepTheImageValid() throws Exception {
        Path raw = Qemu.patternRaw(dir.resolve("src.raw"), SIZE, 11);
        Path image = dir.resolve("z.qcow2");
        Qemu.img(dir, "convert", "-c", "-f", "raw", "-O", "qcow2", "-o", "compression_type=zstd", raw.toString(), image.toString()).orFail();
        Random random = new Random(2);
        try (BlockDevice device = ImageFormats.open(image, false);
             FileChannel model = FileChannel.open(raw, StandardOpenOption.WRITE)) {
            for (int i = 0; i < 40; i++) {
                byte[] data = new byte[1 + random.nextInt(90_000)];
                random.nextBytes(data);
                long offset = (long) (random.nextDouble() * (SIZE - data.length));
                device.write(offset, MemorySegment.ofArray(data));
                model.write(ByteBuffer.wrap(data), offset);
            }
            device.flush();
        }
        Qemu.check(image);
        Qemu.compare(image, raw);
    }

    @Test
    void aDamagedZstdClusterIsNamedByItsOffset() throws Exception {
        Path raw = dir.resolve("src.raw");
        byte[] data = new byte[1 << 20];
        new Random(1).nextBytes(data);
        java.util.Arrays.fill(data, 0, data.length / 2, (byte) 'z');
        Files.write(raw, data);
        Path image = dir.resolve("z.qcow2");
        Qemu.img(dir, "convert", "-c", "-f", "raw", "-O", "qcow2", "-o", "compression_type=zstd", raw.toString(), image.toString()).orFail();
        long host = -1;
        // The first compressed cluster follows the metadata: find the zstd magic 28 b5 2f fd.
        byte[] bytes = Files.readAllBytes(image);
        for (int i = 0; i + 4 <= bytes.length; i++) {
            if ((bytes[i] & 0xff) == 0x28 && (bytes[i + 1] & 0xff) == 0xb5 && (bytes[i + 2] & 0xff) == 0x2f && (bytes[i + 3] & 0xff) == 0xfd) {
                host = i;
                break;
            }
        }
        assertThat(host).as("a zstd frame in the image").isPositive();
        try (FileChannel c = FileChannel.open(image, StandardOpenOption.WRITE)) {
            c.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}), host);
        }
        long at = host;
        assertThatThrownBy(() -> {
            try (BlockDevice device = ImageFormats.open(image, true)) {
                device.read(0, MemorySegment.ofArray(new byte[1 << 20]));
            }
        }).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("compressed cluster at file offset 0x" + Long.toHexString(at))
                .hasMessageContaining("zstd");
    }
}
