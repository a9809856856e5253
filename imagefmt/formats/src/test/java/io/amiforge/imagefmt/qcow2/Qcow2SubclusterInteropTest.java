package io.amiforge.imagefmt.qcow2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.NativeFile;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.format.ImageFormats;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Writing images with extended L2 entries (32 subclusters per cluster): what we write passes
 * {@code qemu-img check} and compares equal, what qemu wrote stays consistent after our writes,
 * and a small write into an unallocated cluster over a backing file copies no more than the
 * subclusters it touches.
 */
@Tag("interop")
class Qcow2SubclusterInteropTest {

    private static final long SIZE = 20L << 20;

    @TempDir
    Path dir;

    private Path base(long seed) throws Exception {
        Path source = Qemu.patternRaw(dir.resolve("source.raw"), SIZE, seed);
        Path base = dir.resolve("base.qcow2");
        Qemu.img(dir, "convert", "-O", "qcow2", source.toString(), base.toString()).orFail();
        return source;
    }

    private Path model(Path from) throws Exception {
        Path model = dir.resolve("model.raw");
        Qemu.img(dir, "convert", "-O", "raw", from.toString(), model.toString()).orFail();
        return model;
    }

    @ParameterizedTest(name = "cluster {0}")
    @ValueSource(ints = {16384, 65536, 2097152})
    void ourWritesOverABackingFilePassCheckAndCompare(int clusterSize) throws Exception {
        Path source = base(clusterSize);
        Path top = dir.resolve("top.qcow2");
        Path model = model(source);
        try (BlockDevice device = ImageFormats.create(top, "qcow2", -1, CreateOptions.defaults().withClusterSize(clusterSize)
                .withExtendedL2(true).withBacking("base.qcow2", "qcow2"))) {
            Qemu.scribble(device, model, clusterSize + 5);
            device.flush();
            Qemu.check(top);
            Qemu.compare(top, model);
            Qemu.assertSameContent(device, model);
        }
        assertThat(ImageFormats.info(top).formatSpecific()).containsEntry("extendedL2", true);
        try (BlockDevice device = ImageFormats.open(top, true)) {
            Qemu.assertSameContent(device, model);
        }
    }

    @Test
    void freshImagesWithoutBackingFilePassCheckAndCompare() throws Exception {
        Path image = dir.resolve("fresh.qcow2");
        Path model = dir.resolve("model.raw");
        try (FileChannel c = FileChannel.open(model, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            c.write(ByteBuffer.wrap(new byte[1]), SIZE + 1000 - 1);
        }
        try (BlockDevice device = ImageFormats.create(image, "qcow2", SIZE + 1000,
                CreateOptions.defaults().withClusterSize(32768).withExtendedL2(true))) {
            Qemu.scribble(device, model, 3);
        }
        Qemu.check(image);
        Qemu.compare(image, model);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"'extended_l2=on,cluster_size=64k', false", "'extended_l2=on,cluster_size=16k,refcount_bits=1', false",
            "'extended_l2=on,cluster_size=32k', true"})
    void writingIntoQemuImagesWithSubclustersKeepsThemConsistent(String options, boolean compressed) throws Exception {
        Path source = base(9);
        Path top = dir.resolve("theirs.qcow2");
        if (compressed) {
            Qemu.img(dir, "convert", "-c", "-O", "qcow2", "-o", options, source.toString(), top.toString()).orFail();
        } else {
            Qemu.img(dir, "create", "-f", "qcow2", "-o", options, "-b", "base.qcow2", "-F", "qcow2", top.toString()).orFail();
        }
        Qemu.io(dir, top, "qcow2", "write -P 0x11 4k 4k", "write -P 0x22 130k 9k", "write -z 300k 8k",
                "write -P 0x33 1M 200k", "write -z 2M 1M", "discard 5M 64k", "write -z -u 8M 2M").orFail();
        Path model = model(top);
        try (BlockDevice device = ImageFormats.open(top, false)) {
            // Into zero subclusters, half-allocated clusters and discarded ones, then at random.
            byte[] data = new byte[6000];
            new Random(1).nextBytes(data);
            for (long at : new long[] {300L << 10, (2L << 20) + 100, 5L << 20, (8L << 20) + 3000, 135L << 10}) {
                device.write(at, MemorySegment.ofArray(data));
                try (FileChannel c = FileChannel.open(model, StandardOpenOption.WRITE)) {
                    c.write(ByteBuffer.wrap(data), at);
                }
            }
            Qemu.scribble(device, model, 17);
        }
        Qemu.check(top);
        Qemu.compare(top, model);
    }

    /** Bytes the file holds on disk after {@code writes} 4 KiB writes over a backing file. */
    private long allocatedAfterSmallWrites(String name, boolean extended, List<Long> offsets, boolean qemu) throws Exception {
        Path image = dir.resolve(name);
        byte[] data = new byte[4096];
        Arrays.fill(data, (byte) 0x5c);
        if (qemu) {
            Qemu.img(dir, "create", "-f", "qcow2", "-o", "extended_l2=" + (extended ? "on" : "off"), "-b", "base.qcow2",
                    "-F", "qcow2", image.toString()).orFail();
            List<String> commands = new ArrayList<>();
            for (long at : offsets) {
                commands.add("write -P 0x5c " + at + " 4k");
            }
            Qemu.io(dir, image, "qcow2", commands.toArray(String[]::new)).orFail();
        } else {
            try (BlockDevice device = ImageFormats.create(image, "qcow2", -1,
                    CreateOptions.defaults().withExtendedL2(extended).withBacking("base.qcow2", "qcow2"))) {
                for (long at : offsets) {
                    device.write(at, MemorySegment.ofArray(data));
                }
            }
        }
        Qemu.check(image);
        return NativeFile.allocatedBytes(image, Files.size(image));
    }

    @Test
    void smallWritesIntoClustersOverABackingFileCopyOnlyTheSubclustersTheyTouch() throws Exception {
        // A backing file full of data, so that copy-on-write has something to copy.
        byte[] bytes = new byte[(int) SIZE];
        new Random(21).nextBytes(bytes);
        Path source = Files.write(dir.resolve("dense.raw"), bytes);
        Qemu.img(dir, "convert", "-O", "qcow2", source.toString(), dir.resolve("base.qcow2").toString()).orFail();
        Random random = new Random(5);
        List<Long> offsets = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            offsets.add((long) random.nextInt((int) (SIZE >>> 12)) << 12);
        }
        long oursOff = allocatedAfterSmallWrites("ours-off.qcow2", false, offsets, false);
        long oursOn = allocatedAfterSmallWrites("ours-on.qcow2", true, offsets, false);
        long qemuOff = allocatedAfterSmallWrites("qemu-off.qcow2", false, offsets, true);
        long qemuOn = allocatedAfterSmallWrites("qemu-on.qcow2", true, offsets, true);
        System.out.printf("qcow2 subcluster COW: 200 x 4 KiB writes into 64 KiB clusters over a backing file, allocated bytes:"
                + " ours off %d on %d, qemu off %d on %d%n", oursOff, oursOn, qemuOff, qemuOn);
        // 4 KiB of 64 KiB: without subclusters each write copies its whole cluster, with them about 4 KiB.
        assertThat(oursOn * 4).as("allocated with subclusters x 4 vs without").isLessThan(oursOff);
        assertThat(oursOn).as("ours vs qemu-img's, subclusters on").isLessThanOrEqualTo(qemuOn + (qemuOn >>> 2));
        assertThat(oursOff).as("ours vs qemu-img's, subclusters off").isLessThanOrEqualTo(qemuOff + (qemuOff >>> 2));
    }

    @Test
    void aSubclusterMarkedBothAllocatedAndZeroIsAnErrorNamingTheEntry() throws Exception {
        Path image = dir.resolve("bad.qcow2");
        Qemu.img(dir, "create", "-f", "qcow2", "-o", "extended_l2=on", image.toString(), "4M").orFail();
        Qemu.io(dir, image, "qcow2", "write -P 0x41 64k 4k").orFail();
        long l2;
        try (Qcow2Image q = Qcow2Image.open(image, true)) {
            l2 = q.header().l1TableOffset;
        }
        long l2Offset;
        try (FileChannel c = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(8);
            c.read(b, l2);
            l2Offset = b.getLong(0) & Qcow2Image.OFFSET_MASK;
            // Entry 1 (guest 64k): bitmap with subcluster 2 both allocated and zero.
            ByteBuffer bitmap = ByteBuffer.allocate(8);
            c.read(bitmap, l2Offset + 24);
            c.write(ByteBuffer.allocate(8).putLong(0, bitmap.getLong(0) | (1L << 34) | (1L << 2)), l2Offset + 24);
        }
        long entryAt = l2Offset + 16;
        try (BlockDevice device = ImageFormats.open(image, true)) {
            assertThatThrownBy(() -> device.read(64 << 10, MemorySegment.ofArray(new byte[8192])))
                    .isInstanceOf(ImageFormatException.class)
                    .hasMessageContaining("L2 entry 1").hasMessageContaining("0x%x".formatted(entryAt))
                    .hasMessageContaining("subcluster 2 is marked both allocated and zero");
        }
        try (BlockDevice device = ImageFormats.open(image, false)) {
            assertThatThrownBy(() -> device.write((64 << 10) + 4096, MemorySegment.ofArray(new byte[100])))
                    .isInstanceOf(ImageFormatException.class).hasMessageContaining("L2 entry 1")
                    .hasMessageContaining("both allocated and zero");
        }
    }
}
