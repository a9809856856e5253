package io.amiforge.imagefmt.vhdx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageConverter;
import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageInfo;
import io.amiforge.imagefmt.format.ImageSource;
import io.amiforge.imagefmt.sparse.HostFile;
import io.amiforge.imagefmt.sparse.QemuImg;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Random;
import java.util.SequencedMap;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Differencing VHDX: a child amiforge creates over a parent reads its own sectors over the
 * parent's (checked against a raw model, and merged by conversion to raw), the parent is found
 * only as the backing-file rule allows, and a parent whose DataWriteGuid is not the child's
 * parent_linkage is refused with both GUIDs named. qemu-img cannot create differencing VHDX and
 * does not read them, so the model is the outside truth here; qemu-img checks the parent.
 */
@Tag("interop")
class VhdxDifferencingTest {

    /** Not a multiple of the 2 MiB block: the last block is partial. */
    private static final long SIZE = (9L << 20) + 3 * 512;

    @TempDir
    Path dir;

    private Path parent() throws IOException {
        Path raw = QemuImg.patternRaw(dir.resolve("base.raw"), SIZE, 21);
        Path parent = dir.resolve("parent.vhdx");
        ImageConverter.convert(raw, parent, "vhdx", CreateOptions.defaults());
        return parent;
    }

    /** Seeded writes to {@code device} and the same to {@code model}: small and unaligned ones, a whole block, one across blocks. */
    private static void writeBoth(BlockDevice device, Path model, long seed) throws IOException {
        Random random = new Random(seed);
        try (FileChannel c = FileChannel.open(model, StandardOpenOption.WRITE)) {
            for (int i = 0; i < 50; i++) {
                int length = switch (i % 10) {
                    case 0 -> VhdxCreator.DIFFERENCING_BLOCK_SIZE;
                    case 1 -> 3 << 20;
                    default -> 1 + random.nextInt(70_000);
                };
                long offset = i % 10 == 0 ? VhdxCreator.DIFFERENCING_BLOCK_SIZE * (long) random.nextInt(4)
                        : (long) (random.nextDouble() * (SIZE - length));
                byte[] data = new byte[length];
                random.nextBytes(data);
                device.write(offset, MemorySegment.ofArray(data));
                c.write(ByteBuffer.wrap(data), offset);
            }
        }
    }

    @Test
    void childReadsItsSectorsOverTheParentAndConvertsToTheMergedDisk() throws Exception {
        Path parent = parent();
        Path model = Files.copy(dir.resolve("base.raw"), dir.resolve("model.raw"));
        Path child = dir.resolve("child.vhdx");
        try (BlockDevice device = ImageFormats.create(child, "vhdx", -1, CreateOptions.defaults().withBacking("parent.vhdx", "vhdx"))) {
            assertThat(device.size()).isEqualTo(SIZE);
            writeBoth(device, model, 22);
            QemuImg.assertSameContent(device, model); // before the bitmaps and the BAT reach the file
        }
        try (BlockDevice device = ImageFormats.open(child, true)) {
            QemuImg.assertSameContent(device, model);
        }
        // Opened again for writing: the bitmaps written before are read back and extended.
        try (BlockDevice device = ImageFormats.open(child, false)) {
            writeBoth(device, model, 23);
        }
        try (BlockDevice device = ImageFormats.open(child, true)) {
            QemuImg.assertSameContent(device, model);
        }
        Path merged = dir.resolve("merged.raw");
        ImageConverter.convert(child, merged, "raw", CreateOptions.defaults());
        assertThat(Files.mismatch(merged, model)).isEqualTo(-1L);

        ImageInfo info = ImageFormats.info(child);
        assertThat(info.backingFile()).isEqualTo("parent.vhdx");
        assertThat(info.backingFormat()).isEqualTo("vhdx");
        assertThat(info.backingChain()).hasSize(2);
        assertThat(info.formatSpecific()).containsEntry("subformat", "differencing")
                .containsEntry("parentLinkage", ImageFormats.info(parent).formatSpecific().get("dataWriteGuid"));
        assertThat(info.clusterSize()).isEqualTo(VhdxCreator.DIFFERENCING_BLOCK_SIZE);
        QemuImg.check(parent, "vhdx"); // the parent, written by us, is a VHDX qemu-img accepts
        assertThat(QemuImg.run(dir, "info", "-f", "vhdx", parent.toString()).orFail().output()).contains("file format: vhdx");
    }

    @Test
    void aParentChangedAfterTheChildWasMadeIsRefusedNamingBothGuids() throws Exception {
        Path parent = parent();
        Path child = dir.resolve("child.vhdx");
        ImageFormats.create(child, "vhdx", -1, CreateOptions.defaults().withBacking("parent.vhdx", null)).close();
        String linked = String.valueOf(ImageFormats.info(parent).formatSpecific().get("dataWriteGuid"));
        try (BlockDevice device = ImageFormats.open(parent, false)) {
            device.write(4096, MemorySegment.ofArray(new byte[] {1, 2, 3}));
        }
        String now = String.valueOf(ImageFormats.info(parent).formatSpecific().get("dataWriteGuid"));
        assertThat(now).isNotEqualTo(linked);
        QemuImg.check(parent, "vhdx"); // the renewed headers are valid
        assertThatThrownBy(() -> ImageFormats.open(child, true)).isInstanceOf(ImageFormatException.class)
                .hasMessageContainingAll("DataWriteGuid " + now, "parent_linkage is " + linked);
    }

    @Test
    void theParentIsOpenedOnlyAsTheBackingFileRuleAllows() throws Exception {
        Path parent = parent();
        Path absolute = dir.resolve("absolute.vhdx");
        ImageFormats.create(absolute, "vhdx", -1, CreateOptions.defaults().withBacking(parent.toString(), "vhdx")).close();
        assertThatThrownBy(() -> ImageFormats.open(absolute, true)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("is an absolute path");
        try (BlockDevice device = ImageFormats.open(ImageSource.of(absolute).withBackingDir(dir), true)) {
            QemuImg.assertSameContent(device, dir.resolve("base.raw"));
        }
        Path sub = Files.createDirectory(dir.resolve("sub"));
        Path child = sub.resolve("child.vhdx");
        assertThatThrownBy(() -> ImageFormats.create(child, "vhdx", -1, CreateOptions.defaults().withBacking("../parent.vhdx", "vhdx")))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("has a '..' component");

        // A locator with only a Windows path: the parent is looked for by its file name beside the child.
        SequencedMap<String, String> entries = new LinkedHashMap<>();
        entries.put(VhdxParentLocator.LINKAGE, "{" + ImageFormats.info(parent).formatSpecific().get("dataWriteGuid") + "}");
        entries.put("absolute_win32_path", "\\\\?\\D:\\vms\\disks\\parent.vhdx");
        Path windows = dir.resolve("windows.vhdx");
        VhdxCreator.create(windows, SIZE, VhdxCreator.DIFFERENCING_BLOCK_SIZE, new VhdxParentLocator(entries));
        try (BlockDevice device = ImageFormats.open(windows, true)) {
            QemuImg.assertSameContent(device, dir.resolve("base.raw"));
        }
    }

    @Test
    void aZeroBlockOfTheChildHidesTheParentAndStaysZeroWhereNotWritten() throws Exception {
        Path parent = parent();
        Path child = dir.resolve("child.vhdx");
        ImageFormats.create(child, "vhdx", -1, CreateOptions.defaults().withBacking("parent.vhdx", null)).close();
        long batOffset;
        try (HostFile file = HostFile.open(child, true)) {
            batOffset = VhdxRegions.read(file).batOffset();
        }
        QemuImg.poke(child, batOffset, (byte) VhdxDevice.ZERO_STATE); // payload block 0 reads as zeros
        byte[] model = Files.readAllBytes(dir.resolve("base.raw"));
        java.util.Arrays.fill(model, 0, VhdxCreator.DIFFERENCING_BLOCK_SIZE, (byte) 0);
        Path expected = Files.write(dir.resolve("expected.raw"), model);
        try (BlockDevice device = ImageFormats.open(child, true)) {
            QemuImg.assertSameContent(device, expected);
        }
        byte[] data = {9, 8, 7, 6, 5};
        try (BlockDevice device = ImageFormats.open(child, false)) {
            device.write(1000, MemorySegment.ofArray(data));
        }
        System.arraycopy(data, 0, model, 1000, data.length);
        Files.write(expected, model);
        try (BlockDevice device = ImageFormats.open(child, true)) {
            QemuImg.assertSameContent(device, expected);
        }
        ByteBuffer entry = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel c = FileChannel.open(child)) {
            c.read(entry, batOffset);
        }
        assertThat(entry.getLong(0) & 7).as("the zero block became fully present").isEqualTo(VhdxDevice.FULLY_PRESENT);
    }

    @Test
    void differencingDisksWithBadParentsOrTablesAreRefused() throws Exception {
        Path parent = parent();
        Path raw = dir.resolve("plain.raw");
        Files.write(raw, new byte[(int) SIZE]);
        assertThatThrownBy(() -> ImageFormats.create(dir.resolve("c.vhdx"), "vhdx", -1, CreateOptions.defaults().withBacking("plain.raw", null)))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("must be a VHDX, not raw");
        assertThatThrownBy(() -> ImageFormats.create(dir.resolve("c.vhdx"), "vhdx", SIZE + 512,
                CreateOptions.defaults().withBacking("parent.vhdx", null)))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("differs from the parent's " + SIZE);

        // A partially present block whose chunk has no sector bitmap.
        Path child = dir.resolve("child.vhdx");
        ImageFormats.create(child, "vhdx", -1, CreateOptions.defaults().withBacking("parent.vhdx", null)).close();
        long batOffset;
        try (HostFile file = HostFile.open(child, true)) {
            batOffset = VhdxRegions.read(file).batOffset();
        }
        QemuImg.poke(child, batOffset, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, (2L << 20) | 7).array());
        assertThatThrownBy(() -> ImageFormats.open(child, true)).isInstanceOf(ImageFormatException.class)
                .hasMessageContainingAll("VHDX BAT entry 0 (file offset 0x" + Long.toHexString(batOffset) + ")", "sector bitmap", "not present");

        // A parent locator without parent_linkage.
        SequencedMap<String, String> entries = new LinkedHashMap<>();
        entries.put(VhdxParentLocator.RELATIVE, "parent.vhdx");
        Path unlinked = dir.resolve("unlinked.vhdx");
        VhdxCreator.create(unlinked, SIZE, VhdxCreator.DIFFERENCING_BLOCK_SIZE, new VhdxParentLocator(entries));
        assertThatThrownBy(() -> ImageFormats.open(unlinked, true)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("has no parent_linkage entry");

        // A locator whose first key lies outside the item (VhdxCreator puts the locator at metadata + 64 KiB + 40).
        Path outside = Files.copy(child, dir.resolve("outside.vhdx"));
        long metadataOffset;
        try (HostFile file = HostFile.open(outside, true)) {
            metadataOffset = VhdxRegions.read(file).metadataOffset();
        }
        long keyOffsetField = metadataOffset + (64 << 10) + 40 + 20;
        QemuImg.poke(outside, keyOffsetField, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 0x7fff0000).array());
        assertThatThrownBy(() -> ImageFormats.open(outside, true)).isInstanceOf(ImageFormatException.class)
                .hasMessageContainingAll("VHDX parent locator key of entry 0", "file offset " + (metadataOffset + (64 << 10) + 40),
                        "lie outside");

        // A parent that is not a VHDX although the locator names it.
        entries.put(VhdxParentLocator.LINKAGE, "{" + UUID.randomUUID() + "}");
        entries.put(VhdxParentLocator.RELATIVE, "plain.raw");
        Path toRaw = dir.resolve("to-raw.vhdx");
        VhdxCreator.create(toRaw, SIZE, VhdxCreator.DIFFERENCING_BLOCK_SIZE, new VhdxParentLocator(entries));
        assertThatThrownBy(() -> ImageFormats.open(toRaw, true)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("is not a VHDX");
    }
}
