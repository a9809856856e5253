package io.amiforge.imagefmt.qcow2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.testkit.Processes;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Creation options preallocation and refcount_bits: new images pass {@code qemu-img check}, keep working under writes. */
@Tag("interop")
class Qcow2CreateOptionsInteropTest {

    private static final long SIZE = (12L << 20) + 4096;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "preallocation={0}, refcount_bits={1}, extended_l2={2}")
    @CsvSource({"off,1,false", "off,2,true", "off,4,false", "off,8,false", "off,32,true", "off,64,false",
            "metadata,16,false", "metadata,1,true", "falloc,16,false", "falloc,64,true", "full,16,false", "full,8,true"})
    void newImagesPassCheckAndReadWhatWasWritten(String preallocation, int refcountBits, boolean extended) throws Exception {
        Path image = dir.resolve("new.qcow2");
        CreateOptions options = CreateOptions.defaults().withPreallocation(preallocation).withRefcountBits(refcountBits)
                .withExtendedL2(extended).withClusterSize(extended ? 32768 : 65536);
        ImageFormats.create(image, "qcow2", SIZE, options).close();
        Qemu.check(image);
        String text = Qemu.img(dir, "info", image.toString()).output();
        assertThat(text).contains("refcount bits: " + refcountBits).contains("extended l2: " + extended);
        // st_blocks (stat -c %b, 512-byte units): counts fallocated blocks, which SEEK_DATA reports as holes on ext4.
        long allocated = 512 * Long.parseLong(Processes.run(dir, List.of("stat", "-c", "%b", image.toString())).orFail()
                .stdoutText().trim());
        if (preallocation.equals("falloc") || preallocation.equals("full")) {
            assertThat(allocated).as("disk blocks of a fully preallocated image").isGreaterThanOrEqualTo(SIZE);
        } else {
            assertThat(allocated).as("disk blocks of a sparse image").isLessThan(SIZE / 2);
        }
        if (!preallocation.equals("off")) {
            String map = Qemu.img(dir, "map", "--output=json", image.toString()).output();
            assertThat(map).as("qemu-img map of a preallocated image: every cluster has an offset").contains("\"offset\"")
                    .doesNotContain("\"data\": false, \"present\": false");
        }
        Path model = dir.resolve("model.raw");
        try (FileChannel c = FileChannel.open(model, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            c.write(ByteBuffer.wrap(new byte[1]), SIZE - 1);
        }
        try (BlockDevice device = ImageFormats.open(image, false)) {
            Qemu.scribble(device, model, refcountBits);
        }
        Qemu.check(image);
        Qemu.compare(image, model);
    }

    @Test
    void preallocationOverABackingFileNeedsSubclustersAndThenReadsTheBackingFile() throws Exception {
        Path source = Qemu.patternRaw(dir.resolve("source.raw"), SIZE, 4);
        Qemu.img(dir, "convert", "-O", "qcow2", source.toString(), dir.resolve("base.qcow2").toString()).orFail();
        Path top = dir.resolve("top.qcow2");
        CreateOptions options = CreateOptions.defaults().withPreallocation("metadata").withBacking("base.qcow2", "qcow2");
        assertThatThrownBy(() -> ImageFormats.create(top, "qcow2", -1, options))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("needs extended L2 entries");
        ImageFormats.create(top, "qcow2", -1, options.withExtendedL2(true)).close();
        Qemu.check(top);
        Qemu.compare(top, source);
        Path model = dir.resolve("model.raw");
        Files.copy(source, model);
        try (BlockDevice device = ImageFormats.open(top, false)) {
            Qemu.assertSameContent(device, source);
            Qemu.scribble(device, model, 8);
        }
        Qemu.check(top);
        Qemu.compare(top, model);
    }

    @Test
    void badOptionsAreRefusedByName() {
        Path image = dir.resolve("x.qcow2");
        assertThatThrownBy(() -> ImageFormats.create(image, "qcow2", SIZE, CreateOptions.defaults().withRefcountBits(3)))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("refcount_bits 3 is not a power of two");
        assertThatThrownBy(() -> ImageFormats.create(image, "qcow2", SIZE, CreateOptions.defaults().withRefcountBits(8).withCompat("0.10")))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("needs compat 1.1");
        assertThatThrownBy(() -> ImageFormats.create(image, "qcow2", SIZE, CreateOptions.defaults().withPreallocation("sparse")))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("preallocation 'sparse'");
        assertThatThrownBy(() -> ImageFormats.create(image, "qcow2", SIZE, CreateOptions.defaults().withExtendedL2(true).withClusterSize(4096)))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("at least 16 KiB");
    }
}
