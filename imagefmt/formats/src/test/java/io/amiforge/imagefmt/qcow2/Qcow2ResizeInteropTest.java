package io.amiforge.imagefmt.qcow2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageSource;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ImageFormats.resize} on qcow2 and raw: qemu-img check stays clean and qemu-img compare agrees with a truncated raw model. */
@Tag("interop")
class Qcow2ResizeInteropTest {

    private static final long SIZE = 8L << 20;

    @TempDir
    Path dir;

    @Test
    void growingPastWhatTheL1TableMapsMovesItAndKeepsTheData() throws IOException {
        Path raw = Qemu.patternRaw(dir.resolve("src.raw"), SIZE, 3);
        Path image = qemuImage(raw, "cluster_size=65536");
        ImageFormats.resize(ImageSource.of(image), 3L << 30);
        assertThat(ImageFormats.info(image).virtualSize()).isEqualTo(3L << 30);
        Qemu.check(image);
        truncate(raw, 3L << 30);
        Qemu.compare(image, raw);
    }

    @Test
    void shrinkingInTheMiddleOfAClusterThenGrowingReadsZerosPastTheCut() throws IOException {
        Path raw = Qemu.patternRaw(dir.resolve("src.raw"), SIZE, 4);
        Path image = qemuImage(raw, "cluster_size=65536");
        long cut = (3L << 20) + 512 * 37;
        ImageFormats.resize(ImageSource.of(image), cut);
        Qemu.check(image);
        truncate(raw, cut);
        Qemu.compare(image, raw);
        ImageFormats.resize(ImageSource.of(image), SIZE);
        Qemu.check(image);
        truncate(raw, SIZE);
        Qemu.compare(image, raw);
        assertThat(Qcow2Check.check(image, Qcow2Check.Repair.NONE).clean()).isTrue();
    }

    @Test
    void shrinkingSmallClustersAcrossManyL2TablesFreesThem() throws IOException {
        Path raw = Qemu.patternRaw(dir.resolve("src.raw"), SIZE, 5);
        Path image = qemuImage(raw, "cluster_size=4096");
        ImageFormats.resize(ImageSource.of(image), 1L << 20);
        Qemu.check(image);
        truncate(raw, 1L << 20);
        Qemu.compare(image, raw);
    }

    @Test
    void theGrownRangeReadsZerosOverALongerBackingFile() throws IOException {
        Path base = Qemu.patternRaw(dir.resolve("base.raw"), SIZE, 6);
        Path top = dir.resolve("top.qcow2");
        Qemu.img(dir, "create", "-f", "qcow2", "-b", "base.raw", "-F", "raw", top.toString(), "4M").orFail();
        ImageFormats.resize(ImageSource.of(top), SIZE);
        Qemu.check(top);
        Path model = dir.resolve("model.raw");
        java.nio.file.Files.copy(base, model);
        truncate(model, 4L << 20);
        truncate(model, SIZE);
        Qemu.compare(top, model);
    }

    @Test
    void rawFilesAreTruncatedAndImagesWithSnapshotsOnlyGrow() throws IOException {
        Path raw = Qemu.patternRaw(dir.resolve("disk.raw"), SIZE, 7);
        ImageFormats.resize(ImageSource.of(raw).withFormat("raw"), 1L << 20);
        assertThat(java.nio.file.Files.size(raw)).isEqualTo(1L << 20);
        Path image = qemuImage(raw, "cluster_size=65536");
        Qemu.img(dir, "snapshot", "-c", "s", image.toString()).orFail();
        assertThatThrownBy(() -> ImageFormats.resize(ImageSource.of(image), 512 * 1024)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("internal snapshots");
        ImageFormats.resize(ImageSource.of(image), SIZE); // growing keeps the snapshot
        Qemu.check(image);
        assertThat(Qcow2Snapshots.list(image)).hasSize(1);
        assertThatThrownBy(() -> ImageFormats.resize(ImageSource.of(image), 1000)).hasMessageContaining("multiple of 512");
    }

    private Path qemuImage(Path raw, String options) {
        Path image = dir.resolve("img.qcow2");
        Qemu.img(dir, "convert", "-f", "raw", "-O", "qcow2", "-o", options, raw.toString(), image.toString()).orFail();
        return image;
    }

    private static void truncate(Path file, long size) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(size);
        }
    }
}
