package io.amiforge.imagefmt.qcow2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.imagefmt.format.BackingChain;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageSource;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile images: broken chains, corrupt headers, offsets past the end of the file, cluster
 * loops, absurd sizes. Each must fail with a clear {@link AmiforgeException} naming the field
 * and its offset, never another exception, a hang or a huge allocation.
 */
class Qcow2RobustnessTest {

    // Layout of a fresh 16 MiB image with 64 KiB clusters (see Qcow2Creator):
    private static final long CLUSTER = 65536;
    private static final long REFTABLE = CLUSTER;
    private static final long L1 = 2 * CLUSTER;
    private static final long REFBLOCK = 3 * CLUSTER;
    private static final long FIRST_FREE = 4 * CLUSTER;

    @TempDir
    Path dir;

    private Path image(String name) {
        Path file = dir.resolve(name);
        try (BlockDevice device = ImageFormats.create(file, "qcow2", 16 << 20, CreateOptions.defaults())) {
            byte[] data = new byte[200_000];
            Arrays.fill(data, (byte) 0x5a);
            device.write(100_000, MemorySegment.ofArray(data));
        }
        return file;
    }

    private static void patchLong(Path file, long offset, long value) throws IOException {
        patch(file, offset, ByteBuffer.allocate(8).putLong(0, value));
    }

    private static void patchInt(Path file, long offset, int value) throws IOException {
        patch(file, offset, ByteBuffer.allocate(4).putInt(0, value));
    }

    private static void patch(Path file, long offset, ByteBuffer bytes) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.write(bytes, offset);
        }
    }

    private static long readLong(Path file, long offset) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8);
        try (FileChannel channel = FileChannel.open(file)) {
            channel.read(b, offset);
        }
        return b.getLong(0);
    }

    private static void readAll(BlockDevice device) {
        byte[] buffer = new byte[1 << 20];
        for (long pos = 0; pos < device.size(); pos += buffer.length) {
            device.read(pos, MemorySegment.ofArray(buffer).asSlice(0, Math.min(buffer.length, device.size() - pos)));
        }
    }

    private static void openAndRead(Path file) {
        try (BlockDevice device = ImageFormats.open(file, true)) {
            readAll(device);
        }
    }

    // ------------------------------------------------------------------ backing chains

    @Test
    void backingFileNamingItselfIsRefused() {
        Path self = dir.resolve("self.qcow2");
        Qcow2Writer.create(self, 1 << 20, CreateOptions.defaults().withBacking("self.qcow2", "qcow2")).close();
        assertThatThrownBy(() -> ImageFormats.open(self, true))
                .isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("names itself")
                .extracting(e -> ((AmiforgeException) e).code()).isEqualTo("InvalidBackingChain");
        assertThatThrownBy(() -> ImageFormats.info(self)).hasMessageContaining("names itself");
    }

    @Test
    void backingLoopIsRefused() {
        Path a = dir.resolve("a.qcow2");
        Path b = dir.resolve("b.qcow2");
        Path c = dir.resolve("c.qcow2");
        Qcow2Writer.create(a, 1 << 20, CreateOptions.defaults().withBacking("b.qcow2", null)).close();
        Qcow2Writer.create(b, 1 << 20, CreateOptions.defaults().withBacking(c.toAbsolutePath().toString(), null)).close();
        Qcow2Writer.create(c, 1 << 20, CreateOptions.defaults().withBacking("./a.qcow2", "qcow2")).close();
        assertThatThrownBy(() -> ImageFormats.open(ImageSource.of(a).withBackingDir(dir), true))
                .isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("backing loop").hasMessageContaining("a.qcow2 -> ");
    }

    @Test
    void chainsDeeperThanTheCapAreRefused() {
        Path previous = dir.resolve("layer0.qcow2");
        Qcow2Writer.create(previous, 1 << 20, CreateOptions.defaults().withClusterSize(512)).close();
        for (int i = 1; i <= 6; i++) {
            Path next = dir.resolve("layer" + i + ".qcow2");
            Qcow2Writer.create(next, 1 << 20, CreateOptions.defaults().withClusterSize(512)
                    .withBacking(previous.getFileName().toString(), "qcow2")).close();
            previous = next;
        }
        Path top = previous;
        assertThatThrownBy(() -> ImageFormats.open(top, true, 5))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("deeper than the limit of 5");
        try (BlockDevice device = ImageFormats.open(top, true, 6)) {
            readAll(device);
        }
        assertThat(BackingChain.DEFAULT_MAX_DEPTH).isEqualTo(1024);
    }

    @Test
    void theDefaultCapIs1024LayersAndIsEnforcedWithoutRecursion() {
        Path chainDir = dir.resolve("deep");
        chainDir.toFile().mkdirs();
        CreateOptions small = CreateOptions.defaults().withClusterSize(512);
        Qcow2Creator.create(chainDir.resolve("l0.qcow2"), 4096, small);
        for (int i = 1; i <= 1025; i++) {
            Qcow2Creator.create(chainDir.resolve("l" + i + ".qcow2"), 4096, small.withBacking("l" + (i - 1) + ".qcow2", "qcow2"));
        }
        // 1024 layers below the top are allowed, 1025 are not.
        assertThat(ImageFormats.info(chainDir.resolve("l1024.qcow2")).backingChain()).hasSize(1025);
        assertThatThrownBy(() -> ImageFormats.info(chainDir.resolve("l1025.qcow2")))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("deeper than the limit of 1024");
    }

    @Test
    void missingBackingFileIsNotFound() {
        Path top = dir.resolve("orphan.qcow2");
        Qcow2Writer.create(top, 1 << 20, CreateOptions.defaults().withBacking("gone.qcow2", "qcow2")).close();
        assertThatThrownBy(() -> ImageFormats.open(top, true))
                .isInstanceOf(AmiforgeException.class).hasMessageContaining("gone.qcow2").hasMessageContaining("does not exist")
                .extracting(e -> ((AmiforgeException) e).kind()).isEqualTo(AmiforgeException.Kind.NOT_FOUND);
    }

    // ------------------------------------------------------------------ headers

    @Test
    void corruptHeaderFieldsAreNamedWithTheirOffsets() throws Exception {
        record Case(long offset, int value, String expected) {
        }
        Case[] cases = {
                new Case(4, 1, "version (file offset 4)"),
                new Case(4, 4, "version (file offset 4)"),
                new Case(20, 8, "cluster_bits (file offset 20)"),
                new Case(20, 22, "cluster_bits (file offset 20)"),
                new Case(100, 20, "header_length (file offset 100)"),
                new Case(32, 1, "crypt_method (file offset 32)"),
                new Case(96, 7, "refcount_order (file offset 96)"),
                new Case(36, 0, "l1_size (file offset 36)"),
                new Case(56, 1 << 20, "refcount_table_clusters (file offset 56)"),
        };
        for (Case c : cases) {
            Path file = image("h" + c.offset() + "_" + c.value() + ".qcow2");
            patchInt(file, c.offset(), c.value());
            Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> openAndRead(file));
            assertThat(thrown).as("field at %d = %d", c.offset(), c.value())
                    .isInstanceOf(ImageFormatException.class).hasMessageContaining(c.expected());
        }
    }

    @Test
    void unknownIncompatibleFeatureIsRefusedByName() throws Exception {
        Path file = image("incompat.qcow2");
        patchLong(file, 72, 1L << 40);
        assertThatThrownBy(() -> openAndRead(file)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("incompatible_features").hasMessageContaining("bit 40");
    }

    @Test
    void unknownCompatibleFeatureIsIgnoredAndUnknownAutoclearIsClearedBeforeWriting() throws Exception {
        Path file = image("compat.qcow2");
        patchLong(file, 80, 1L << 33);
        patchLong(file, 88, 1L << 17);
        try (BlockDevice device = ImageFormats.open(file, false)) {
            device.write(0, MemorySegment.ofArray(new byte[] {1, 2, 3}));
        }
        assertThat(readLong(file, 80)).isEqualTo(1L << 33);
        assertThat(readLong(file, 88)).isZero();
    }

    @Test
    void corruptBitOpensReadOnlyWithAWarning() throws Exception {
        Path file = image("corrupt.qcow2");
        patchLong(file, 72, Qcow2Header.INCOMPAT_CORRUPT);
        try (BlockDevice device = ImageFormats.open(file, false)) {
            assertThat(device.isReadOnly()).isTrue();
            assertThat(((Qcow2Device) device).top().warnings()).anyMatch(w -> w.contains("marked corrupt"));
            readAll(device);
            assertThatThrownBy(() -> device.write(0, MemorySegment.ofArray(new byte[1])))
                    .isInstanceOf(BlockDeviceException.ReadOnly.class);
        }
        assertThat(ImageFormats.info(file).corrupt()).isTrue();
    }

    @Test
    void dirtyBitRebuildsRefcountsBeforeWriting() throws Exception {
        Path file = image("dirty.qcow2");
        patchLong(file, 72, Qcow2Header.INCOMPAT_DIRTY);
        patchLong(file, REFBLOCK, 0); // lazy refcounts never written: the counts are wrong
        openAndRead(file);
        assertThat(ImageFormats.info(file).dirty()).isTrue();
        try (BlockDevice device = ImageFormats.open(file, false)) {
            device.write(8 << 20, MemorySegment.ofArray(new byte[100_000]).fill((byte) 7));
        }
        assertThat(ImageFormats.info(file).dirty()).isFalse();
        assertThat(readLong(file, 48)).as("refcount table moved to the end").isGreaterThan(FIRST_FREE);
        try (BlockDevice device = ImageFormats.open(file, true)) {
            byte[] back = new byte[200_000];
            device.read(100_000, MemorySegment.ofArray(back));
            assertThat(back).containsOnly((byte) 0x5a);
        }
    }

    @Test
    void dirtyImagesWithBrokenL1AreNotRebuilt() throws Exception {
        Path file = image("dirtybroken.qcow2");
        patchLong(file, 72, Qcow2Header.INCOMPAT_DIRTY);
        patchLong(file, L1, (1L << 40) | Qcow2Image.COPIED);
        assertThatThrownBy(() -> ImageFormats.open(file, false)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("L1 entry 0").hasMessageContaining("cannot rebuild refcounts");
    }

    @Test
    void unknownHeaderExtensionsArePreservedAcrossWrites() throws Exception {
        Path file = image("ext.qcow2");
        // The end-of-extensions marker follows the feature table; replace it by an unknown extension.
        Qcow2Header before;
        try (Qcow2Image img = Qcow2Image.open(file, true)) {
            before = img.header();
        }
        long end = 104 + 8 + 8 * 48;
        ByteBuffer ext = ByteBuffer.allocate(24).putInt(0, 0x12345678).putInt(4, 5).put(8, "hello".getBytes());
        patch(file, end, ext);
        try (BlockDevice device = ImageFormats.open(file, false)) {
            device.write(5 << 20, MemorySegment.ofArray(new byte[70_000]).fill((byte) 9));
        }
        try (Qcow2Image img = Qcow2Image.open(file, true)) {
            assertThat(img.header().extensionTypes).contains(0x12345678);
            assertThat(img.header().featureNames).isEqualTo(before.featureNames);
        }
    }

    // ------------------------------------------------------------------ offsets past EOF

    @Test
    void tableOffsetsPastTheEndOfTheFileAreNamed() throws Exception {
        Path l1 = image("l1.qcow2");
        patchLong(l1, 40, 1L << 40);
        assertThatThrownBy(() -> openAndRead(l1)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("l1_table_offset (file offset 40)").hasMessageContaining("beyond the end of the file");

        Path l1Unaligned = image("l1u.qcow2");
        patchLong(l1Unaligned, 40, L1 + 8);
        assertThatThrownBy(() -> openAndRead(l1Unaligned)).hasMessageContaining("l1_table_offset").hasMessageContaining("not a cluster-aligned");

        Path reftable = image("rt.qcow2");
        patchLong(reftable, 48, 1L << 50);
        assertThatThrownBy(() -> openAndRead(reftable)).hasMessageContaining("refcount_table_offset (file offset 48)");

        Path l2 = image("l2.qcow2");
        patchLong(l2, L1, (1L << 40) | Qcow2Image.COPIED);
        assertThatThrownBy(() -> openAndRead(l2)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("L1 entry 0 (file offset 0x20000)").hasMessageContaining("beyond the end of the file");

        Path data = image("data.qcow2");
        long l2Offset = readLong(data, L1) & Qcow2Image.OFFSET_MASK;
        patchLong(data, l2Offset + 8, (1L << 45) | Qcow2Image.COPIED); // guest cluster 1
        assertThatThrownBy(() -> openAndRead(data)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("L2 entry 1").hasMessageContaining("beyond the end of the file");

        Path refblock = image("rb.qcow2");
        patchLong(refblock, REFTABLE, 1L << 40);
        assertThatThrownBy(() -> {
            try (BlockDevice device = ImageFormats.open(refblock, false)) {
                device.write(10 << 20, MemorySegment.ofArray(new byte[4096]));
            }
        }).isInstanceOf(ImageFormatException.class).hasMessageContaining("refcount table entry 0").hasMessageContaining("beyond the end");
    }

    @Test
    void absurdSizesAreRefusedBeforeAllocating() throws Exception {
        Path huge = image("huge.qcow2");
        patchLong(huge, 24, 1L << 60); // 2^60 bytes with a one-entry L1 table
        assertThatThrownBy(() -> openAndRead(huge)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("size (file offset 24)");

        Path bigL1 = image("bigl1.qcow2");
        patchInt(bigL1, 36, 1 << 29); // a 4 GiB L1 table
        assertThatThrownBy(() -> openAndRead(bigL1)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("l1_size (file offset 36)").hasMessageContaining("4294967296 bytes");

        Path negative = image("neg.qcow2");
        patchLong(negative, 24, -4096);
        assertThatThrownBy(() -> openAndRead(negative)).hasMessageContaining("size (file offset 24)");

        assertThatThrownBy(() -> ImageFormats.create(dir.resolve("x.qcow2"), "qcow2", 1L << 60, CreateOptions.defaults().withClusterSize(512)))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("L1 table");

        // A 2^60-byte image is fine when the header is consistent (2 MiB clusters, 16 MiB L1 in the file).
        Path sparse = dir.resolve("exa.qcow2");
        try (BlockDevice device = ImageFormats.create(sparse, "qcow2", 1L << 60, CreateOptions.defaults().withClusterSize(2 << 20))) {
            device.write((1L << 60) - 4096, MemorySegment.ofArray(new byte[4096]).fill((byte) 1));
        }
        try (BlockDevice device = ImageFormats.open(sparse, true)) {
            byte[] tail = new byte[4096];
            device.read((1L << 60) - 4096, MemorySegment.ofArray(tail));
            assertThat(tail).containsOnly(1);
        }
    }

    @Test
    void truncatedFilesFailCleanly() throws Exception {
        Path file = image("trunc.qcow2");
        for (long length : new long[] {0, 50, 100, 4096, L1 + 4, FIRST_FREE + 10}) {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                channel.truncate(length);
            }
            Path probe = file;
            try {
                openAndRead(probe);
            } catch (AmiforgeException expected) {
                assertThat(expected.getMessage()).contains(file.toString());
            }
        }
    }

    // ------------------------------------------------------------------ cluster loops

    @Test
    void l2TablesSharedOrOverlappingMetadataAreRefusedForWriting() throws Exception {
        Path shared = image("shared.qcow2");
        long l2Offset = readLong(shared, L1);
        patchInt(shared, 36, 2); // two L1 entries...
        patchLong(shared, 24, 1L << 30);
        patchLong(shared, L1 + 8, l2Offset); // ...pointing at the same L2 table
        openAndRead(shared);
        assertThatThrownBy(() -> ImageFormats.open(shared, false)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("L1 entry 1").hasMessageContaining("overlaps other metadata");

        Path loop = image("loop.qcow2");
        patchLong(loop, L1, L1 | Qcow2Image.COPIED); // the L2 table is the L1 table itself
        assertThatThrownBy(() -> ImageFormats.open(loop, false)).hasMessageContaining("overlaps other metadata");
        openAndRead(loop); // reading such an image terminates

        Path header = image("header.qcow2");
        long l2 = readLong(header, L1) & Qcow2Image.OFFSET_MASK;
        patchLong(header, l2 + 8, REFBLOCK | Qcow2Image.COPIED); // guest cluster 1 -> the refcount block
        try (BlockDevice device = ImageFormats.open(header, false)) {
            assertThatThrownBy(() -> device.write(CLUSTER + 5, MemorySegment.ofArray(new byte[10])))
                    .isInstanceOf(ImageFormatException.class).hasMessageContaining("holds metadata");
        }
        assertThat(ImageFormats.info(header).corrupt()).as("image marked corrupt").isTrue();
    }

    @Test
    void convertRefusesToOverwriteItsSourceOrBackingChain() {
        Path base = image("cbase.qcow2");
        Path top = dir.resolve("ctop.qcow2");
        Qcow2Writer.create(top, 16 << 20, CreateOptions.defaults().withBacking("cbase.qcow2", "qcow2")).close();
        assertThatThrownBy(() -> io.amiforge.imagefmt.format.ImageConverter.convert(top, base, "raw", CreateOptions.defaults()))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("backing chain");
        assertThatThrownBy(() -> io.amiforge.imagefmt.format.ImageConverter.convert(top, top, "qcow2", CreateOptions.defaults()))
                .hasMessageContaining("the source image");
        openAndRead(top);
    }

    @Test
    void probingIsByContentNotByName() throws Exception {
        Path qcow = image("disk.raw");
        assertThat(ImageFormats.probe(qcow).name()).isEqualTo("qcow2");
        Path raw = dir.resolve("disk.qcow2");
        Files.write(raw, new byte[8192]);
        assertThat(ImageFormats.probe(raw).name()).isEqualTo("raw");
    }
}
