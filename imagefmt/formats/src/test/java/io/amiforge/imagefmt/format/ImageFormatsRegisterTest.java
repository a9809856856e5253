package io.amiforge.imagefmt.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Formats added from another class loader (a plug-in's) join the registry and the probe order. */
class ImageFormatsRegisterTest {

    @TempDir
    Path dir;

    @Test
    void aFormatFromAnotherClassLoaderIsProbedAndOpened() throws Exception {
        assertThat(ImageFormats.all()).extracting(ImageFormat::name).doesNotContain("tagged");
        assertThat(ImageFormats.register(loaderListing(TaggedFormat.class))).extracting(ImageFormat::name).containsExactly("tagged");
        assertThat(ImageFormats.register(loaderListing(TaggedFormat.class))).as("registered once").isEmpty();
        // signature formats before raw, which accepts anything
        assertThat(ImageFormats.all()).extracting(ImageFormat::name).containsSubsequence("tagged", "raw");

        Path image = dir.resolve("disk.img");
        byte[] bytes = new byte[8192];
        System.arraycopy(TaggedFormat.MAGIC, 0, bytes, 0, TaggedFormat.MAGIC.length);
        bytes[5000] = 42;
        Files.write(image, bytes);
        assertThat(ImageFormats.probe(image).name()).isEqualTo("tagged");
        try (BlockDevice device = ImageFormats.open(image, true)) {
            assertThat(device.size()).isEqualTo(8192);
            MemorySegment buf = MemorySegment.ofArray(new byte[512]);
            device.read(4608, buf);
            assertThat(buf.get(ValueLayout.JAVA_BYTE, 392)).isEqualTo((byte) 42);
        }
        Files.write(image, new byte[4096]);
        assertThat(ImageFormats.probe(image).name()).isEqualTo("raw");
    }

    @Test
    void aFormatWhoseNameIsTakenIsRefused() throws Exception {
        assertThatThrownBy(() -> ImageFormats.register(loaderListing(AnotherRaw.class)))
                .isInstanceOfSatisfying(AmiforgeException.class, e -> assertThat(e.code()).isEqualTo("InvalidPlugin"))
                .hasMessageContaining("'raw'").hasMessageContaining(AnotherRaw.class.getName());
        assertThat(ImageFormats.byName("raw").getClass().getSimpleName()).isEqualTo("RawFormat");
    }

    private URLClassLoader loaderListing(Class<?> format) throws Exception {
        Path root = Files.createTempDirectory(dir, "plugin");
        Path services = root.resolve("META-INF/services/" + ImageFormat.class.getName());
        Files.createDirectories(services.getParent());
        Files.writeString(services, format.getName() + "\n");
        return new URLClassLoader(new URL[] {root.toUri().toURL()}, getClass().getClassLoader());
    }

    /** A raw image marked by a signature in its first bytes: raw's behaviour, its own probe. */
    public static final class TaggedFormat implements ImageFormat {

        static final byte[] MAGIC = "AMITAG01".getBytes(StandardCharsets.US_ASCII);

        private final ImageFormat raw = ImageFormats.byName("raw");

        @Override
        public String name() {
            return "tagged";
        }

        @Override
        public boolean probe(MemorySegment header, long fileSize) {
            return header.byteSize() >= MAGIC.length
                    && header.asSlice(0, MAGIC.length).mismatch(MemorySegment.ofArray(MAGIC)) == -1;
        }

        @Override
        public BlockDevice open(Path path, boolean readOnly, BackingChain chain) {
            return raw.open(path, readOnly, chain);
        }

        @Override
        public BlockDevice create(Path path, long virtualSize, CreateOptions options) {
            return raw.create(path, virtualSize, options);
        }

        @Override
        public ImageInfo info(Path path) {
            return raw.info(path);
        }
    }

    /** A second "raw", which the registry must refuse. */
    public static final class AnotherRaw implements ImageFormat {

        private final ImageFormat raw = ImageFormats.byName("raw");

        @Override
        public String name() {
            return "raw";
        }

        @Override
        public boolean acceptsAnything() {
            return true;
        }

        @Override
        public boolean probe(MemorySegment header, long fileSize) {
            return true;
        }

        @Override
        public BlockDevice open(Path path, boolean readOnly, BackingChain chain) {
            return raw.open(path, readOnly, chain);
        }

        @Override
        public BlockDevice create(Path path, long virtualSize, CreateOptions options) {
            return raw.create(path, virtualSize, options);
        }

        @Override
        public ImageInfo info(Path path) {
            return raw.info(path);
        }
    }
}
