package io.amiforge.imagefmt.vhdx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageConverter;
import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.sparse.QemuImg;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dynamic VHDX images amiforge writes: {@code qemu-img check} finds no error, {@code qemu-img
 * convert} back to raw gives the source byte for byte, and random writes (ours into our images
 * and into qemu-img's) read back as a raw model of them.
 */
@Tag("interop")
class VhdxWriteInteropTest {

    private static final long SIZE = 80L << 20;

    @TempDir
    Path dir;

    @Test
    void convertedImagesPassQemuImgCheckAndConvertBackByteIdentically() throws Exception {
        Path raw = QemuImg.patternRaw(dir.resolve("src.raw"), SIZE, 51);
        Path image = dir.resolve("ours.vhdx");
        ImageConverter.convert(raw, image, "vhdx", CreateOptions.defaults());
        QemuImg.check(image, "vhdx");
        Path back = QemuImg.toRaw(image, "vhdx");
        assertThat(Files.mismatch(back, raw)).isEqualTo(-1L);
        assertThat(ImageFormats.info(image).clusterSize()).isEqualTo(VhdxCreator.DEFAULT_BLOCK_SIZE);
        try (BlockDevice device = ImageFormats.open(image, true)) {
            QemuImg.assertSameContent(device, raw);
        }
    }

    @Test
    void randomWritesIntoOurImageReadBackInQemuImg() throws Exception {
        Path image = dir.resolve("new.vhdx");
        Path model = dir.resolve("model.raw");
        try (BlockDevice device = ImageFormats.create(image, "vhdx", SIZE, CreateOptions.defaults())) {
            QemuImg.scribble(device, model, 52);
        }
        QemuImg.check(image, "vhdx");
        QemuImg.compare(image, "vhdx", model);
    }

    @Test
    void randomWritesIntoQemuImgsImageWithSmallBlocksReadBack() throws Exception {
        Path image = dir.resolve("qemu.vhdx");
        QemuImg.run(dir, "create", "-f", "vhdx", "-o", "block_size=1M", image.toString(), Long.toString(SIZE)).orFail();
        Path model = dir.resolve("model.raw");
        try (BlockDevice device = ImageFormats.open(image, false)) {
            QemuImg.scribble(device, model, 53);
        }
        QemuImg.check(image, "vhdx");
        QemuImg.compare(image, "vhdx", model);
    }

    @Test
    void sizesVhdxCannotHoldAreRefused() {
        assertThatThrownBy(() -> ImageFormats.create(dir.resolve("odd.vhdx"), "vhdx", 1000, CreateOptions.defaults()))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("multiple of 512");
        assertThatThrownBy(() -> ImageFormats.create(dir.resolve("huge.vhdx"), "vhdx", 65L << 40, CreateOptions.defaults()))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("64 TiB");
    }
}
