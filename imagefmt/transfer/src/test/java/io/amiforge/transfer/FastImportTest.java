package io.amiforge.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.NativeFile;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageSource;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.Volume;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bulk import path against qemu-img: sparse raw images and qcow2 chains of many small
 * extents round-trip byte for byte, zero extents stay zeros (and shadow what lies below), a
 * size that is not a block multiple imports padded, and a short or corrupt read fails naming
 * the file and the offset, leaving nothing behind.
 */
@Tag("interop")
class FastImportTest {

    private static final int BS = 4096;

    @TempDir
    Path dir;

    private void qemu(String... args) {
        Processes.run(dir, List.of(args)).orFail();
    }

    private static String qemuImg() {
        return Interop.tool("qemu-img").toString();
    }

    /** A sparse raw of {@code size} bytes with {@code extents} random 64 KiB data extents and one written-zero extent. */
    private Path sparseRaw(String name, long size, int extents, long seed) throws IOException {
        Path raw = dir.resolve(name);
        SplittableRandom random = new SplittableRandom(seed);
        try (FileChannel out = FileChannel.open(raw, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            byte[] data = new byte[64 << 10];
            for (int i = 0; i < extents; i++) {
                random.nextBytes(data);
                long at = random.nextLong(size / data.length) * data.length;
                out.write(ByteBuffer.wrap(data), at);
            }
            out.write(ByteBuffer.allocate(1 << 20), size / 2); // allocated, but zeros: nothing to store
            if (out.size() < size) {
                out.write(ByteBuffer.allocate(1), size - 1);
            }
        }
        return raw;
    }

    private static void assertSameBytes(Path expected, Path actual) {
        Processes.run(List.of("cmp", expected.toString(), actual.toString())).orFail();
    }

    @Test
    void aSparseRawRoundTripsByteForByteLikeQemuImgAndStaysSparse() throws Exception {
        long size = 1L << 30;
        Path raw = sparseRaw("disk.raw", size, 48, 1);
        qemu(qemuImg(), "convert", "-f", "raw", "-O", "qcow2", raw.toString(), "qemu.qcow2");
        qemu(qemuImg(), "convert", "-f", "qcow2", "-O", "raw", "qemu.qcow2", "qemu.raw");
        try (SnapshotStore store = SnapshotStore.open(dir.resolve("store"))) {
            ChainImporter.Result result = ChainImporter.importImage(store, "disk", raw);
            long stored = store.blocks(result.snapshots().getFirst().id()).count();
            assertThat(stored).as("blocks stored (48 extents of 16 blocks, overlaps merged)").isBetween(1L, 48L * 16);
            Path ours = dir.resolve("ours.raw");
            try (Volume volume = store.openVolume("disk")) {
                ChainExporter.exportFlat(volume, ours, "raw");
                ChainExporter.exportFlat(volume, dir.resolve("ours.qcow2"), "qcow2");
            }
            assertSameBytes(raw, ours);
            assertSameBytes(dir.resolve("qemu.raw"), ours);
            assertThat(NativeFile.allocatedBytes(ours, size)).as("the export keeps the holes").isLessThan(8L << 20);
            qemu(qemuImg(), "compare", "-f", "qcow2", "-F", "raw", "ours.qcow2", raw.toString());
            qemu(qemuImg(), "check", "ours.qcow2");
        }
    }

    /** The 64 x 2048 case in a smaller form: 16 layers of 256 scattered 4 KiB extents each. */
    @Test
    void aChainOfManySmallExtentsImportsOneSnapshotPerLayerAndRoundTrips() throws Exception {
        String qemuIo = Interop.tool("qemu-io").toString();
        int layers = 16;
        int extents = 256;
        SplittableRandom random = new SplittableRandom(64);
        qemu(qemuImg(), "create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", "l1.qcow2", "256M");
        List<Integer> written = new ArrayList<>();
        for (int layer = 1; layer <= layers; layer++) {
            String file = "l" + layer + ".qcow2";
            if (layer > 1) {
                qemu(qemuImg(), "create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", "-b", "l" + (layer - 1) + ".qcow2",
                        "-F", "qcow2", file);
            }
            List<String> io = new ArrayList<>(List.of(qemuIo, "-f", "qcow2"));
            long[] blocks = random.longs(0, (256L << 20) / BS / 2).distinct().limit(extents).toArray();
            for (long block : blocks) {
                io.add("-c");
                io.add("write -P " + (layer * 7 % 250 + 1) + " " + block * 2 * BS + " 4k"); // every other block: never adjacent
            }
            io.add(file);
            qemu(io.toArray(String[]::new));
            written.add(blocks.length);
        }
        Path top = dir.resolve("l" + layers + ".qcow2");
        qemu(qemuImg(), "convert", "-O", "raw", top.toString(), "expected.raw");
        try (SnapshotStore store = SnapshotStore.open(dir.resolve("store"))) {
            ChainImporter.Result result = ChainImporter.importImage(store, "chain", top);
            assertThat(result.snapshots()).hasSize(layers);
            for (int i = 0; i < layers; i++) {
                assertThat(store.blocks(result.snapshots().get(i).id()).count()).as("layer " + (i + 1))
                        .isEqualTo((long) written.get(i));
            }
            Path flat = dir.resolve("flat.raw");
            try (Volume volume = store.openVolume("chain")) {
                ChainExporter.exportFlat(volume, flat, "raw");
            }
            assertSameBytes(dir.resolve("expected.raw"), flat);
            Path exported = dir.resolve("out").resolve("chain.qcow2");
            Files.createDirectories(exported.getParent());
            List<Path> files = ChainExporter.exportChain(store, result.snapshots().getLast().id(), exported);
            assertThat(files).hasSize(layers);
            qemu(qemuImg(), "compare", "-f", "qcow2", "-F", "raw", exported.toString(), "expected.raw");
        }
    }

    @Test
    void zeroClustersAndAllZeroDataShadowTheBaseAndStoreNoData() throws Exception {
        String qemuIo = Interop.tool("qemu-io").toString();
        qemu(qemuImg(), "create", "-q", "-f", "qcow2", "base.qcow2", "16M");
        qemu(qemuIo, "-f", "qcow2", "-c", "write -P 0x5a 0 4M", "-c", "write -P 0 8M 1M", "base.qcow2");
        qemu(qemuImg(), "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2");
        // a zero cluster range, and a data extent that happens to be all zeros, both over base data
        qemu(qemuIo, "-f", "qcow2", "-c", "write -z 1M 256k", "-c", "write -P 0 2M 64k", "-c", "write -P 0x77 3M 64k",
                "top.qcow2");
        qemu(qemuImg(), "convert", "-O", "raw", "top.qcow2", "expected.raw");
        try (SnapshotStore store = SnapshotStore.open(dir.resolve("store"))) {
            ChainImporter.Result result = ChainImporter.importImage(store, "z", dir.resolve("top.qcow2"));
            SnapshotInfo base = result.snapshots().getFirst();
            SnapshotInfo top = result.snapshots().getLast();
            assertThat(store.blocks(base.id()).count()).as("base: 4 MiB of data; its zero MiB stores nothing")
                    .isEqualTo((4L << 20) / BS);
            assertThat(store.blocks(top.id()).count()).as("top: zeros and zero data are explicit, so they shadow the base")
                    .isEqualTo((256L << 10) / BS + 2 * (64L << 10) / BS);
            assertThat(layerDataBytes(dir.resolve("store"))).as("data bytes stored: 4 MiB + 64 KiB, no zeros")
                    .isEqualTo((4L << 20) + (64L << 10));
            Path flat = dir.resolve("flat.raw");
            try (Volume volume = store.openVolume("z")) {
                ChainExporter.exportFlat(volume, flat, "raw");
            }
            assertSameBytes(dir.resolve("expected.raw"), flat);
        }
    }

    private static long layerDataBytes(Path store) throws IOException {
        try (Stream<Path> files = Files.walk(store)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".dat")).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    @Test
    void anImageWhoseSizeIsNotABlockMultipleImportsPaddedWithZeros() throws Exception {
        byte[] bytes = new byte[3 * BS + 1234];
        new SplittableRandom(5).nextBytes(bytes);
        Path raw = dir.resolve("odd.raw");
        Files.write(raw, bytes);
        qemu(qemuImg(), "convert", "-f", "raw", "-O", "raw", raw.toString(), "qemu.raw");
        try (SnapshotStore store = SnapshotStore.open(dir.resolve("store"))) {
            ChainImporter.importImage(store, "odd", raw);
            Path ours = dir.resolve("ours.raw");
            try (Volume volume = store.openVolume("odd")) {
                assertThat(volume.size()).isEqualTo(4L * BS);
                ChainExporter.exportFlat(volume, ours, "raw");
            }
            byte[] exported = Files.readAllBytes(ours);
            byte[] qemuBytes = Files.readAllBytes(dir.resolve("qemu.raw"));
            assertThat(Arrays.copyOf(exported, bytes.length)).isEqualTo(bytes);
            assertThat(Arrays.copyOf(qemuBytes, bytes.length)).isEqualTo(bytes);
            assertThat(Arrays.copyOfRange(exported, bytes.length, exported.length)).containsOnly(0);
        }
    }

    @Test
    void aRawFileCutShortDuringTheImportFailsNamingTheFileAndOffset() throws Exception {
        Path raw = dir.resolve("short.raw");
        byte[] bytes = new byte[16 * BS];
        Arrays.fill(bytes, (byte) 3);
        Files.write(raw, bytes);
        try (BlockDevice device = ImageFormats.open(new ImageSource(raw, "raw", null, 8), true)) {
            ImportView view = new ImportView(device, raw, BS, true);
            try (FileChannel f = FileChannel.open(raw, StandardOpenOption.WRITE)) {
                f.truncate(6 * BS); // cut short after the import measured it
            }
            MemorySegment buf = MemorySegment.ofArray(new byte[8 * BS]);
            view.read(0, buf.asSlice(0, 4 * BS)); // still there
            assertThatThrownBy(() -> view.read(4 * BS, buf))
                    .isInstanceOf(AmiforgeException.class)
                    .hasMessageContaining(raw.toString())
                    .hasMessageContaining("short read at offset " + 6 * BS);
        }
    }

    @Test
    void aCorruptQcow2FailsTheImportNamingTheFileAndOffsetAndLeavesNothing() throws Exception {
        String qemuIo = Interop.tool("qemu-io").toString();
        qemu(qemuImg(), "create", "-q", "-f", "qcow2", "-o", "cluster_size=65536", "bad.qcow2", "4M");
        qemu(qemuIo, "-f", "qcow2", "-c", "write -P 0x42 0 128k", "bad.qcow2");
        Path bad = dir.resolve("bad.qcow2");
        try (FileChannel f = FileChannel.open(bad, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer header = ByteBuffer.allocate(48);
            f.read(header, 0);
            long l1 = header.getLong(40);
            ByteBuffer entry = ByteBuffer.allocate(8);
            f.read(entry, l1);
            long l2 = entry.getLong(0) & 0x00ff_ffff_ffff_fe00L;
            // guest cluster 1 now points past the end of the file
            f.write(ByteBuffer.allocate(8).putLong(0, (1L << 63) | (1L << 40)), l2 + 8);
        }
        try (SnapshotStore store = SnapshotStore.open(dir.resolve("store"))) {
            assertThatThrownBy(() -> ChainImporter.importImage(store, "bad", bad))
                    .isInstanceOf(AmiforgeException.class)
                    .hasMessageContaining(bad.toString())
                    .hasMessageContaining("offset");
            assertThat(store.listVolumes()).isEmpty();
            assertThat(store.listSnapshots()).isEmpty();
            assertThat(store.verify().ok()).isTrue();
        }
    }
}
