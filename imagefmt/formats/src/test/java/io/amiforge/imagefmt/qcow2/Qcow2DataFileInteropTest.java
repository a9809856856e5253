package io.amiforge.imagefmt.qcow2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.BackingChain;
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
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * qcow2 images with an external data file (incompatible bit 2, data file name extension, raw
 * external data bit): read and written both ways with qemu-img, and the data file is opened only
 * when the caller names it or allows the stored name beside the image.
 */
@Tag("interop")
class Qcow2DataFileInteropTest {

    private static final long SIZE = 16L << 20;

    @TempDir
    Path dir;

    private BlockDevice open(Path image, boolean readOnly, Qcow2DataFile dataFile) {
        return Qcow2Format.INSTANCE.open(image, readOnly, BackingChain.startingAt(image, 4), dataFile);
    }

    private Path qemuImage(String options) {
        Path image = dir.resolve("theirs.qcow2");
        Qemu.img(dir, "create", "-f", "qcow2", "-o", options, image.toString(), Long.toString(SIZE)).orFail();
        Qemu.io(dir, image, "qcow2", "write -P 0x41 0 4k", "write -P 0x42 1M 70k", "write -z 2M 64k",
                "write -P 0x43 3M 1M", "write -z 3200k 10k", "discard 3500k 64k").orFail();
        return image;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"data_file=d.raw", "data_file=d.raw,data_file_raw=on", "data_file=d.raw,cluster_size=4k",
        "data_file=d.raw,extended_l2=on", "data_file=d.raw,data_file_raw=on,extended_l2=on,cluster_size=32k"})
    void imagesQemuWritesReadBackByteIdenticallyAndTakeOurWrites(String options) throws Exception {
        Path image = qemuImage(options);
        Path model = Qemu.qemuRaw(image);
        try (BlockDevice device = open(image, true, Qcow2DataFile.named(dir.resolve("d.raw")))) {
            Qemu.assertSameContent(device, model);
        }
        try (BlockDevice device = open(image, true, Qcow2DataFile.besideImage())) {
            Qemu.assertSameContent(device, model);
        }
        try (BlockDevice device = open(image, false, Qcow2DataFile.besideImage())) {
            Qemu.scribble(device, model, options.length());
        }
        Qemu.check(image);
        Qemu.compare(image, model);
        if (options.contains("data_file_raw=on")) {
            assertThat(ImageFormats.info(image).formatSpecific()).containsEntry("dataFileRaw", true);
            Qemu.compare(dir.resolve("d.raw"), model); // the raw data file alone is the disk
        }
    }

    @ParameterizedTest(name = "raw {0}, extended_l2 {1}")
    @CsvSource({"false, false", "true, false", "false, true", "true, true"})
    void imagesWeWritePassCheckAndCompare(boolean raw, boolean extended) throws Exception {
        Path image = dir.resolve("ours.qcow2");
        Files.createDirectories(dir.resolve("sub"));
        Path model = dir.resolve("model.raw");
        try (FileChannel c = FileChannel.open(model, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            c.write(ByteBuffer.wrap(new byte[1]), SIZE - 1);
        }
        try (BlockDevice device = ImageFormats.create(image, "qcow2", SIZE, CreateOptions.defaults().withClusterSize(16384)
                .withDataFile("sub/data.raw", raw).withExtendedL2(extended))) {
            Qemu.scribble(device, model, 5);
        }
        String info = Qemu.img(dir, "info", image.toString()).output();
        assertThat(info).contains("data file: sub/data.raw").contains("data file raw: " + raw);
        Qemu.check(image);
        Qemu.compare(image, model);
        if (raw) {
            Qemu.compare(dir.resolve("sub/data.raw"), model);
        }
        try (BlockDevice device = open(image, true, Qcow2DataFile.besideImage())) {
            Qemu.assertSameContent(device, model);
        }
        // qemu writes into it, we read what qemu wrote.
        Qemu.io(dir, image, "qcow2", "write -P 0x66 5M 100k").orFail();
        Path after = Qemu.qemuRaw(image);
        try (BlockDevice device = open(image, true, Qcow2DataFile.named(dir.resolve("sub/data.raw")))) {
            Qemu.assertSameContent(device, after);
        }
    }

    /**
     * Subclusters in an external data file: the same writes and discards, made by qemu-io into one
     * copy of a qemu-made image and by us into another, leave the same L2 entries (as
     * {@code qemu-img map} shows them, with data-file offsets) and the same content.
     */
    @Test
    void subclusterWritesIntoADataFileMatchQemusMap() throws Exception {
        Path theirs = Files.createDirectories(dir.resolve("theirs"));
        Path ours = Files.createDirectories(dir.resolve("ours"));
        Qemu.img(theirs, "create", "-f", "qcow2", "-o", "extended_l2=on,cluster_size=64k,data_file=d.raw",
                theirs.resolve("x.qcow2").toString(), Long.toString(SIZE)).orFail();
        Qemu.io(theirs, theirs.resolve("x.qcow2"), "qcow2", "write -P 0x41 64k 64k").orFail();
        Files.copy(theirs.resolve("x.qcow2"), ours.resolve("x.qcow2"));
        Files.copy(theirs.resolve("d.raw"), ours.resolve("d.raw"));
        // {offset, length, byte}: byte -1 is a discard (qemu: write -z -u inside a cluster, discard of whole clusters).
        long[][] ops = {{0, 4096, 0x11}, {130 << 10, 6 << 10, 0x22}, {512 << 10, 64 << 10, 0x33}, {(1 << 20) + 2048, 8192, 0x44},
            {64 << 10, 64 << 10, 0x55}, {(512 << 10) + 4096, 8192, -1}, {(1 << 20) + 2048, 4096, -1}, {2 << 20, 64 << 10, 0x66},
            {2 << 20, 64 << 10, -1}, {(3 << 20) + 1000, 3000, 0x77}};
        List<String> commands = new ArrayList<>();
        try (BlockDevice device = open(ours.resolve("x.qcow2"), false, Qcow2DataFile.besideImage())) {
            for (long[] op : ops) {
                if (op[2] < 0) {
                    commands.add((op[1] == 64 << 10 ? "discard " : "write -z -u ") + op[0] + " " + op[1]);
                    device.discard(op[0], op[1]);
                } else {
                    commands.add("write -P " + op[2] + " " + op[0] + " " + op[1]);
                    byte[] data = new byte[(int) op[1]];
                    java.util.Arrays.fill(data, (byte) op[2]);
                    device.write(op[0], MemorySegment.ofArray(data));
                }
            }
        }
        Qemu.io(theirs, theirs.resolve("x.qcow2"), "qcow2", commands.toArray(String[]::new)).orFail();
        Qemu.check(ours.resolve("x.qcow2"));
        Qemu.compare(ours.resolve("x.qcow2"), theirs.resolve("x.qcow2"));
        String ourMap = Qemu.img(ours, "map", "--output=json", ours.resolve("x.qcow2").toString()).orFail().output();
        assertThat(ourMap).isEqualTo(Qemu.img(theirs, "map", "--output=json", theirs.resolve("x.qcow2").toString()).orFail().output());
        // Subclusters of one cluster: 4 KiB written at 0 is data at data-file offset 0, the rest of that cluster is not.
        assertThat(ourMap).contains("{ \"start\": 0, \"length\": 4096, \"depth\": 0, \"present\": true, \"zero\": false,"
                + " \"data\": true, \"offset\": 0}");
    }

    @Test
    void withoutTheCallersWordTheDataFileIsNeverOpened() throws Exception {
        Path image = qemuImage("data_file=d.raw");
        assertThatThrownBy(() -> ImageFormats.open(image, true)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("theirs.qcow2").hasMessageContaining("header extension 0x44415441")
                .hasMessageContaining("at file offset").hasMessageContaining("'d.raw'").hasMessageContaining("--data-file PATH");
        assertThatThrownBy(() -> Qcow2Image.open(image, false)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("'d.raw'");
    }

    @Test
    void storedNamesOutsideTheImagesDirectoryAreRefusedBesideTheImage() throws Exception {
        Path sub = Files.createDirectories(dir.resolve("sub"));
        Path outside = dir.resolve("outside.raw");
        Path absolute = sub.resolve("abs.qcow2");
        Qemu.img(dir, "create", "-f", "qcow2", "-o", "data_file=" + outside, absolute.toString(), "1M").orFail();
        assertThatThrownBy(() -> open(absolute, true, Qcow2DataFile.besideImage())).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("'" + outside + "'").hasMessageContaining("not a relative name");
        Path dotdot = sub.resolve("dotdot.qcow2");
        Qemu.img(sub, "create", "-f", "qcow2", "-o", "data_file=../outside.raw", dotdot.toString(), "1M").orFail();
        assertThatThrownBy(() -> open(dotdot, true, Qcow2DataFile.besideImage())).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("'../outside.raw'").hasMessageContaining("'..' component");
        Files.createSymbolicLink(sub.resolve("link.raw"), outside);
        Path linked = sub.resolve("linked.qcow2");
        Qemu.img(sub, "create", "-f", "qcow2", "-o", "data_file=link.raw", linked.toString(), "1M").orFail();
        assertThatThrownBy(() -> open(linked, true, Qcow2DataFile.besideImage())).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("'link.raw'").hasMessageContaining("not a regular file inside");
        // The caller's own name is used whatever the image stores.
        try (BlockDevice device = open(dotdot, true, Qcow2DataFile.named(outside))) {
            assertThat(device.size()).isEqualTo(1L << 20);
        }
    }

    @Test
    void theDataFileBitWithoutItsNameExtensionNeedsTheCallerToNameTheFile() throws Exception {
        Path image = qemuImage("data_file=d.raw");
        int at;
        try (Qcow2Image q = Qcow2Image.open(image, true, Qcow2DataFile.named(dir.resolve("d.raw")))) {
            at = q.header().dataFileExtensionOffset;
        }
        try (FileChannel c = FileChannel.open(image, StandardOpenOption.WRITE)) {
            c.write(ByteBuffer.allocate(4).putInt(0, 0x7a7a7a7a), at); // an unknown extension type now
        }
        assertThatThrownBy(() -> open(image, true, Qcow2DataFile.besideImage())).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("incompatible feature bit 2").hasMessageContaining("(0x44415441) is missing");
        try (BlockDevice device = open(image, true, Qcow2DataFile.named(dir.resolve("d.raw")))) {
            byte[] first = new byte[4096];
            device.read(0, java.lang.foreign.MemorySegment.ofArray(first));
            assertThat(first).containsOnly((byte) 0x41);
        }
    }

    @Test
    void resizeAndSnapshotsOfSuchImagesAreRefusedByName() {
        Path image = qemuImage("data_file=d.raw");
        assertThatThrownBy(() -> Qcow2Format.INSTANCE.resize(image, SIZE * 2)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("resizing of images with an external data file");
        assertThatThrownBy(() -> Qcow2Snapshots.create(image, "s1")).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("creating a snapshot of images with an external data file");
    }

    @Test
    void badCombinationsAreRefusedByName() {
        Path image = dir.resolve("x.qcow2");
        assertThatThrownBy(() -> ImageFormats.create(image, "qcow2", SIZE, CreateOptions.defaults().withDataFile("d.raw", false)
                .withCompat("0.10"))).isInstanceOf(ImageFormatException.class).hasMessageContaining("compat 0.10");
        assertThatThrownBy(() -> ImageFormats.create(image, "qcow2", SIZE, CreateOptions.defaults().withDataFile(null, true)))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("data_file_raw needs data_file");
    }
}
