package io.amiforge.imagefmt.qcow2;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.Extent;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageConverter;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.raw.RawFormat;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every image amiforge writes passes {@code qemu-img check} and {@code qemu-img compare} with its source. */
@Tag("interop")
class Qcow2WriteInteropTest {

    private static final long SIZE = 20L << 20;

    @TempDir
    Path dir;

    private Path modelOf(Path rawOrImage, String name) throws Exception {
        Path model = dir.resolve(name);
        Qemu.img(dir, "convert", "-O", "raw", rawOrImage.toString(), model.toString()).orFail();
        return model;
    }

    @ParameterizedTest(name = "cluster {0}, compat {1}")
    @CsvSource({"512,1.1", "4096,1.1", "65536,1.1", "2097152,1.1", "65536,0.10", "512,0.10"})
    void freshImagesPassCheckAndCompare(int clusterSize, String compat) throws Exception {
        Path image = dir.resolve("ours.qcow2");
        Path model = dir.resolve("model.raw");
        Files.write(model, new byte[0]);
        try (FileChannel c = FileChannel.open(model, StandardOpenOption.WRITE)) {
            c.truncate(0);
            c.write(ByteBuffer.wrap(new byte[1]), SIZE - 1);
        }
        try (BlockDevice device = ImageFormats.create(image, "qcow2", SIZE,
                CreateOptions.defaults().withClusterSize(clusterSize).withCompat(compat))) {
            Qemu.scribble(device, model, clusterSize);
            device.flush();
        }
        Qemu.check(image);
        Qemu.compare(image, model);
        try (BlockDevice device = ImageFormats.open(image, true)) {
            Qemu.assertSameContent(device, model);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"refcount_bits=1", "refcount_bits=2", "refcount_bits=4", "refcount_bits=8", "refcount_bits=32", "refcount_bits=64",
            "compat=0.10", "cluster_size=512", "lazy_refcounts=on", "preallocation=metadata", "preallocation=falloc"})
    void writingIntoQemuImagesKeepsThemConsistent(String options) throws Exception {
        Path source = Qemu.patternRaw(dir.resolve("source.raw"), SIZE, 3);
        Path image = dir.resolve("theirs.qcow2");
        Qemu.img(dir, "convert", "-O", "qcow2", "-o", options, source.toString(), image.toString()).orFail();
        Path model = modelOf(source, "model.raw");
        try (BlockDevice device = ImageFormats.open(image, false)) {
            Qemu.scribble(device, model, 99);
        }
        Qemu.check(image);
        Qemu.compare(image, model);
    }

    @ParameterizedTest(name = "cluster_size={0}")
    @CsvSource({"4096", "65536"})
    void writingOverCompressedAndPreallocatedZeroClustersReleasesThemExactly(String clusterSize) throws Exception {
        Path source = Qemu.patternRaw(dir.resolve("source.raw"), SIZE, 8);
        Path image = dir.resolve("compressed.qcow2");
        Qemu.img(dir, "convert", "-c", "-O", "qcow2", "-o", "cluster_size=" + clusterSize, source.toString(), image.toString()).orFail();
        Qemu.io(dir, image, "qcow2", "write -P 0x21 1M 512k", "write -z 1M 256k", "write -z -u 2M 64k").orFail();
        Path model = modelOf(image, "model.raw");
        try (BlockDevice device = ImageFormats.open(image, false)) {
            Qemu.scribble(device, model, 123);
            device.write(1L << 20, MemorySegment.ofArray(new byte[5000]).fill((byte) 3)); // into a preallocated zero cluster
            try (FileChannel c = FileChannel.open(model, StandardOpenOption.WRITE)) {
                c.write(ByteBuffer.wrap(new byte[5000]).put(0, new byte[5000]), 1L << 20);
                byte[] threes = new byte[5000];
                Arrays.fill(threes, (byte) 3);
                c.write(ByteBuffer.wrap(threes), 1L << 20);
            }
        }
        Qemu.check(image);
        Qemu.compare(image, model);
    }

    @Test
    void aProcessDyingAfterAFlushLeavesAConsistentImageWithTheFlushedData() throws Exception {
        Path image = dir.resolve("crash.qcow2");
        byte[] flushed = new byte[3 << 20];
        new Random(4).nextBytes(flushed);
        try (BlockDevice device = ImageFormats.create(image, "qcow2", SIZE, CreateOptions.defaults().withClusterSize(4096))) {
            device.write(1 << 20, MemorySegment.ofArray(flushed));
            device.flush();
            byte[] later = new byte[5 << 20];
            new Random(5).nextBytes(later);
            device.write(9 << 20, MemorySegment.ofArray(later)); // data written, metadata still in memory
            device.write(1 << 20, MemorySegment.ofArray(later).asSlice(0, 4096)); // in-place overwrite
            // What the file holds now is what a kill -9 would leave: every returned write is in the page cache.
            Path dead = dir.resolve("dead.qcow2");
            Files.copy(image, dead);
            var result = Qemu.img(dir, "check", dead.toString());
            assertThat(result.exitCode()).as("qemu-img check (0 = clean, 3 = leaked clusters only):\n%s", result.output())
                    .isIn(0, 3);
            try (BlockDevice again = ImageFormats.open(dead, true)) {
                byte[] back = new byte[flushed.length];
                again.read(1 << 20, MemorySegment.ofArray(back));
                assertThat(Arrays.copyOfRange(back, 4096, back.length)).isEqualTo(Arrays.copyOfRange(flushed, 4096, flushed.length));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"lazy_refcounts=on", "lazy_refcounts=on,refcount_bits=1", "lazy_refcounts=on,cluster_size=4k,refcount_bits=64"})
    void dirtyImagesLeftByAKilledQemuAreRepairedBeforeWriting(String options) throws Exception {
        Path source = Qemu.patternRaw(dir.resolve("source.raw"), SIZE, 17);
        Path image = dir.resolve("dirty.qcow2");
        Qemu.img(dir, "convert", "-c", "-O", "qcow2", "-o", options, source.toString(), image.toString()).orFail();
        // qemu-io writes with lazy refcounts, then kills itself: the image is left dirty.
        Qemu.io(dir, image, "qcow2", "write -P 0x44 1M 3M", "write -z 6M 1M", "write -P 0x45 12M 100k", "sigraise 9");
        assertThat(ImageFormats.info(image).dirty()).as("dirty after the kill").isTrue();
        Path model = modelOf(image, "model.raw");
        try (BlockDevice device = ImageFormats.open(image, false)) {
            Qemu.scribble(device, model, 71);
        }
        assertThat(ImageFormats.info(image).dirty()).isFalse();
        Qemu.check(image);
        Qemu.compare(image, model);
    }

    @Test
    void refcountTableGrowsWhenTheImageOutgrowsIt() throws Exception {
        // 512-byte clusters: one refcount block covers 256 clusters and the first table 64 blocks,
        // so writing 20 MiB forces new refcount blocks and a bigger, relocated refcount table.
        Path image = dir.resolve("grow.qcow2");
        Path model = dir.resolve("model.raw");
        byte[] data = new byte[(int) SIZE];
        new Random(5).nextBytes(data);
        Files.write(model, data);
        try (BlockDevice device = ImageFormats.create(image, "qcow2", SIZE, CreateOptions.defaults().withClusterSize(512))) {
            for (long pos = 0; pos < SIZE; pos += 1 << 20) {
                device.write(pos, MemorySegment.ofArray(data).asSlice(pos, 1 << 20));
            }
        }
        Qemu.check(image);
        Qemu.compare(image, model);
    }

    @Test
    void writesOverAThreeDeepChainCopyOnWriteFromTheBackingFiles() throws Exception {
        Path source = Qemu.patternRaw(dir.resolve("source.raw"), SIZE, 11);
        Path base = dir.resolve("base.qcow2");
        Qemu.img(dir, "convert", "-O", "qcow2", "-o", "cluster_size=4k", source.toString(), base.toString()).orFail();
        Path mid = dir.resolve("mid.qcow2");
        Qemu.img(dir, "create", "-f", "qcow2", "-o", "cluster_size=16k", "-b", "base.qcow2", "-F", "qcow2", mid.toString()).orFail();
        Qemu.io(dir, mid, "qcow2", "write -P 0x61 1M 300k", "write -z 6M 1M").orFail();
        Path top = dir.resolve("top.qcow2");
        try (BlockDevice device = ImageFormats.create(top, "qcow2", -1,
                CreateOptions.defaults().withBacking("mid.qcow2", "qcow2"))) {
            assertThat(device.size()).isEqualTo(SIZE);
            Path model = modelOf(mid, "model.raw");
            Qemu.scribble(device, model, 12);
            device.flush();
            Qemu.check(top);
            Qemu.compare(top, model);
        }
        assertThat(ImageFormats.info(top).backingChain()).hasSize(3);
    }

    @Test
    void convertChainToRawAndRawToQcow2KeepsZerosSparse() throws Exception {
        Path source = Qemu.patternRaw(dir.resolve("source.raw"), SIZE, 21);
        Path base = dir.resolve("base.qcow2");
        Qemu.img(dir, "convert", "-O", "qcow2", source.toString(), base.toString()).orFail();
        Path top = dir.resolve("top.qcow2");
        Qemu.img(dir, "create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", top.toString()).orFail();
        Qemu.io(dir, top, "qcow2", "write -P 0x77 2M 1M", "write -z 4M 2M").orFail();

        Path flat = dir.resolve("flat.raw");
        ImageConverter.convert(top, flat, "raw", CreateOptions.defaults());
        Qemu.compare(top, flat);
        assertThat(RawFormat.diskUsage(flat, Files.size(flat))).as("raw output stays sparse").isLessThan(SIZE / 2);

        Path again = dir.resolve("again.qcow2");
        ImageConverter.convert(flat, again, "qcow2", CreateOptions.defaults());
        Qemu.check(again);
        Qemu.compare(again, top);
        assertThat(ImageFormats.info(again).backingFile()).isNull();
        assertThat(Files.size(again)).as("zero clusters stay unallocated").isLessThan(SIZE / 2);
        try (Qcow2Image layer = Qcow2Image.open(again, true)) {
            long data = layer.layerAllocation().stream().filter(e -> e.kind() == Extent.Kind.DATA).mapToLong(Extent::length).sum();
            assertThat(data).isLessThan(SIZE / 2);
        }
        Path small = dir.resolve("small.qcow2");
        ImageConverter.convert(top, small, "qcow2", CreateOptions.defaults().withClusterSize(4096).withCompat("0.10"));
        Qemu.check(small);
        Qemu.compare(small, top);
    }

    @Test
    void qcow2WriterWritesOnlyTheGivenClustersOverANamedBackingFile() throws Exception {
        Path source = Qemu.patternRaw(dir.resolve("source.raw"), SIZE, 31);
        Path base = dir.resolve("base.qcow2");
        Qemu.img(dir, "convert", "-O", "qcow2", source.toString(), base.toString()).orFail();
        Path layer = dir.resolve("layer.qcow2");
        byte[] cluster = new byte[65536];
        Arrays.fill(cluster, (byte) 0x3c);
        try (Qcow2Writer writer = Qcow2Writer.create(layer, SIZE, CreateOptions.defaults().withBacking("base.qcow2", "qcow2"))) {
            writer.writeCluster(0, MemorySegment.ofArray(cluster));
            writer.writeCluster(5L << 20, MemorySegment.ofArray(cluster));
            writer.writeZeroCluster(7L << 20);
        }
        Qemu.check(layer);
        Path model = modelOf(base, "model.raw");
        try (FileChannel c = FileChannel.open(model, StandardOpenOption.WRITE)) {
            c.write(ByteBuffer.wrap(cluster), 0);
            c.write(ByteBuffer.wrap(cluster), 5L << 20);
            c.write(ByteBuffer.wrap(new byte[65536]), 7L << 20);
        }
        Qemu.compare(layer, model);
        try (Qcow2Image image = Qcow2Image.open(layer, true)) {
            assertThat(image.layerAllocation()).extracting(e -> e.offset() + ":" + e.kind())
                    .containsExactly("0:DATA", "5242880:DATA", "7340032:ZERO");
        }
    }
}
