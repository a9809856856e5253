package io.amiforge.imagefmt.sparse;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.Extent;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageConverter;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.LayerLayout;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link LayerLayout} of the block-mapped formats, against what was written: each layer's own
 * runs cover the whole disk, a run it holds is stored at the offset it names (the file's bytes
 * there are the guest's), a dynamic VHD or VHDX holds every byte (unstored blocks as zeros) while
 * a VMDK leaves unstored grains to a possible parent, and a differencing disk holds exactly the
 * sectors written to it.
 */
class LayerLayoutTest {

    private static final long SIZE = (24L << 20) + 3 * 512;

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"vmdk", "vpc", "vhdx"})
    void heldRunsAreStoredWhereTheLayoutSays(String format) throws IOException {
        Path image = dir.resolve("disk." + format);
        BitSet written = new BitSet();
        try (BlockDevice device = ImageFormats.create(image, format, SIZE, CreateOptions.defaults())) {
            scribble(device, written, 512, 7);
        }
        try (BlockDevice device = ImageFormats.open(image, true); FileChannel file = FileChannel.open(image)) {
            LayerLayout layout = (LayerLayout) device;
            long pos = 0;
            long held = 0;
            while (pos < SIZE) {
                Extent e = layout.ownExtentAt(pos, SIZE - pos);
                assertThat(e.offset()).isEqualTo(pos);
                assertThat(e.length()).isPositive();
                switch (e.kind()) {
                    case DATA -> {
                        assertStoredWhereSaid(device, layout, file, pos, e.length());
                        held += e.length();
                    }
                    case ZERO -> {
                        assertThat(format).as("a VMDK leaves unstored grains to a parent").isNotEqualTo("vmdk");
                        assertThat(read(device, pos, e.length())).isEqualTo(new byte[(int) e.length()]);
                    }
                    case UNALLOCATED -> {
                        assertThat(format).as("a dynamic disk holds every byte").isEqualTo("vmdk");
                        assertThat(layout.hostOffset(pos)).isEqualTo(-1);
                    }
                }
                pos = e.end();
            }
            for (int s = written.nextSetBit(0); s >= 0; s = written.nextSetBit(s + 1)) {
                assertThat(layout.ownExtentAt(s * 512L, 512).kind()).as("sector %d was written", s).isEqualTo(Extent.Kind.DATA);
            }
            assertThat(held).isGreaterThanOrEqualTo(written.cardinality() * 512L);
        }
    }

    /** A VMDK stored inside another file (an OVA's tar member) gives offsets in that file, not in the member. */
    @Test
    void aMemberOfAnArchiveGivesOffsetsInTheArchive() throws IOException {
        Path image = dir.resolve("disk.vmdk");
        try (BlockDevice device = ImageFormats.create(image, "vmdk", SIZE, CreateOptions.defaults())) {
            scribble(device, new BitSet(), 512, 13);
        }
        byte[] disk = java.nio.file.Files.readAllBytes(image);
        int start = 3 * 1024; // where a tar puts a member after its headers
        byte[] archive = new byte[start + disk.length];
        java.util.Arrays.fill(archive, 0, start, (byte) 0x7e);
        System.arraycopy(disk, 0, archive, start, disk.length);
        Path container = java.nio.file.Files.write(dir.resolve("disk.ova"), archive);
        try (BlockDevice device = io.amiforge.imagefmt.vmdk.VmdkFormat.openMember(container, start, disk.length, "disk.vmdk");
             FileChannel file = FileChannel.open(container)) {
            LayerLayout layout = (LayerLayout) device;
            long pos = 0;
            int held = 0;
            while (pos < SIZE) {
                Extent e = layout.ownExtentAt(pos, SIZE - pos);
                if (e.kind() == Extent.Kind.DATA) {
                    assertStoredWhereSaid(device, layout, file, pos, e.length());
                    held++;
                }
                pos = e.end();
            }
            assertThat(held).isPositive();
        }
    }

    @Test
    void aDifferencingVhdHoldsExactlyTheSectorsWrittenToIt() throws IOException {
        differencingChildHoldsItsSectors("vpc", "parent.vhd", 512);
    }

    @Test
    void aDifferencingVhdxHoldsExactlyTheSectorsWrittenToIt() throws IOException {
        differencingChildHoldsItsSectors("vhdx", "parent.vhdx", 512);
    }

    private void differencingChildHoldsItsSectors(String format, String parentName, int sector) throws IOException {
        Path raw = QemuImg.patternRaw(dir.resolve("base.raw"), SIZE, 5);
        ImageConverter.convert(raw, dir.resolve(parentName), format, CreateOptions.defaults());
        Path child = dir.resolve("child." + parentName.substring(parentName.indexOf('.') + 1));
        BitSet written = new BitSet();
        try (BlockDevice device = ImageFormats.create(child, format, -1, CreateOptions.defaults().withBacking(parentName, format))) {
            scribble(device, written, sector, 11);
        }
        try (BlockDevice device = ImageFormats.open(child, true); FileChannel file = FileChannel.open(child)) {
            LayerLayout layout = (LayerLayout) device;
            BitSet held = new BitSet();
            long pos = 0;
            while (pos < SIZE) {
                Extent e = layout.ownExtentAt(pos, SIZE - pos);
                assertThat(e.kind()).as("at %d", pos).isNotEqualTo(Extent.Kind.ZERO);
                if (e.kind() == Extent.Kind.DATA) {
                    assertStoredWhereSaid(device, layout, file, pos, e.length());
                    held.set((int) (pos / sector), (int) ((e.end() + sector - 1) / sector));
                } else {
                    assertThat(layout.hostOffset(pos)).isEqualTo(-1);
                }
                pos = e.end();
            }
            assertThat(held).isEqualTo(written);
        }
    }

    /** Seeded writes of 1 B to 300 KiB (a whole 2 MiB block once), the sectors they touch marked in {@code written}. */
    private static void scribble(BlockDevice device, BitSet written, int sector, long seed) {
        Random random = new Random(seed);
        for (int i = 0; i < 40; i++) {
            int length = i == 0 ? 2 << 20 : 1 + random.nextInt(300_000);
            long offset = i == 0 ? 4L << 20 : (long) (random.nextDouble() * (SIZE - length));
            byte[] data = new byte[length];
            random.nextBytes(data);
            data[0] = 1; // never a whole sector of zeros at the start, which a writer might skip
            device.write(offset, MemorySegment.ofArray(data));
            written.set((int) (offset / sector), (int) ((offset + length + sector - 1) / sector));
        }
    }

    /** The held run {@code [pos, pos+length)} is stored in one or more pieces at the offsets the layout gives. */
    private static void assertStoredWhereSaid(BlockDevice device, LayerLayout layout, FileChannel file, long pos, long length)
            throws IOException {
        long end = pos + length;
        while (pos < end) {
            long host = layout.hostOffset(pos);
            long run = layout.hostRunLength(pos, end - pos);
            assertThat(host).as("offset of held byte %d", pos).isGreaterThanOrEqualTo(0);
            assertThat(run).isPositive();
            ByteBuffer stored = ByteBuffer.allocate((int) run);
            file.read(stored, host);
            assertThat(stored.array()).as("file bytes at 0x%x for guest %d+%d", host, pos, run).isEqualTo(read(device, pos, run));
            pos += run;
        }
    }

    private static byte[] read(BlockDevice device, long pos, long length) {
        byte[] bytes = new byte[(int) length];
        device.read(pos, MemorySegment.ofArray(bytes));
        return bytes;
    }
}
