package io.amiforge.imagefmt.qcow2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Images qemu-img writes, with each feature, read byte-identically to {@code qemu-img convert -O raw}. */
@Tag("interop")
class Qcow2ReadInteropTest {

    private static final long SIZE = 24L << 20;

    @TempDir
    Path dir;

    private void assertReadsLikeQemu(Path image) throws Exception {
        assertReadsLikeQemu(ImageSource.of(image));
    }

    private void assertReadsLikeQemu(ImageSource image) throws Exception {
        Path expected = Qemu.qemuRaw(image.file());
        try (BlockDevice device = ImageFormats.open(image, true)) {
            Qemu.assertSameContent(device, expected);
        }
    }

    private Path source() throws Exception {
        return Qemu.patternRaw(dir.resolve("source.raw"), SIZE, 42);
    }

    @ParameterizedTest(name = "cluster_size={0}")
    @ValueSource(strings = {"512", "4096", "65536", "2097152"})
    void clusterSizes(String clusterSize) throws Exception {
        Path image = dir.resolve("c" + clusterSize + ".qcow2");
        Qemu.img(dir, "convert", "-O", "qcow2", "-o", "cluster_size=" + clusterSize, source().toString(), image.toString()).orFail();
        assertReadsLikeQemu(image);
        assertThat(ImageFormats.info(image).clusterSize()).isEqualTo(Integer.parseInt(clusterSize));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"compat=0.10", "refcount_bits=1", "refcount_bits=64", "extended_l2=on",
            "extended_l2=on,cluster_size=2M", "compat=0.10,cluster_size=512", "lazy_refcounts=on", "preallocation=metadata", "preallocation=full"})
    void creationOptions(String options) throws Exception {
        Path image = dir.resolve("o.qcow2");
        Qemu.img(dir, "convert", "-O", "qcow2", "-o", options, source().toString(), image.toString()).orFail();
        assertReadsLikeQemu(image);
    }

    @ParameterizedTest(name = "cluster_size={0}")
    @ValueSource(strings = {"4096", "65536", "2097152"})
    void compressedClusters(String clusterSize) throws Exception {
        Path image = dir.resolve("z.qcow2");
        Qemu.img(dir, "convert", "-c", "-O", "qcow2", "-o", "cluster_size=" + clusterSize, source().toString(), image.toString()).orFail();
        assertReadsLikeQemu(image);
    }

    @Test
    void compressedClustersWithExtendedL2Entries() throws Exception {
        Path image = dir.resolve("zx.qcow2");
        Qemu.img(dir, "convert", "-c", "-O", "qcow2", "-o", "extended_l2=on,cluster_size=32k", source().toString(), image.toString()).orFail();
        Qemu.io(dir, image, "qcow2", "write -P 0x66 100k 3k", "write -z 1M 2k").orFail();
        assertReadsLikeQemu(image);
    }

    @Test
    void internalSnapshotsReadTheActiveStateAndRefuseWrites() throws Exception {
        Path image = dir.resolve("snap.qcow2");
        Qemu.img(dir, "convert", "-O", "qcow2", source().toString(), image.toString()).orFail();
        Qemu.img(dir, "snapshot", "-c", "before", image.toString()).orFail();
        Qemu.io(dir, image, "qcow2", "write -P 0x99 0 3M", "write -z 5M 1M").orFail();
        assertReadsLikeQemu(image);
        assertThat(ImageFormats.info(image).formatSpecific()).containsEntry("snapshots", 1L);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ImageFormats.open(image, false))
                .hasMessageContaining("internal snapshots");
    }

    @Test
    void zeroClustersOverABackingFile() throws Exception {
        Path base = dir.resolve("base.qcow2");
        Qemu.img(dir, "convert", "-O", "qcow2", source().toString(), base.toString()).orFail();
        Path top = dir.resolve("top.qcow2");
        Qemu.img(dir, "create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", top.toString()).orFail();
        Qemu.io(dir, top, "qcow2", "write -z 0 1M", "write -z 3M 100k", "write -P 0x5a 5M 70k",
                "write -z -u 8M 2M", "discard 12M 1M").orFail();
        assertReadsLikeQemu(top);
    }

    @Test
    void subclustersPartlyAllocatedOverABackingFile() throws Exception {
        Path base = dir.resolve("base.qcow2");
        Qemu.img(dir, "convert", "-O", "qcow2", source().toString(), base.toString()).orFail();
        Path top = dir.resolve("top.qcow2");
        Qemu.img(dir, "create", "-f", "qcow2", "-o", "extended_l2=on,cluster_size=128k", "-b", "base.qcow2", "-F", "qcow2",
                top.toString()).orFail();
        Qemu.io(dir, top, "qcow2", "write -P 0x11 4k 4k", "write -P 0x22 130k 9k", "write -z 300k 8k",
                "write -P 0x33 1M 200k", "write -z 2M 1M", "discard 5M 64k").orFail();
        assertReadsLikeQemu(top);
        assertThat(ImageFormats.info(top).formatSpecific()).containsEntry("extendedL2", true);
    }

    @Test
    void threeDeepChainsWithRelativeAndAbsoluteNamesAndShorterBackingFiles() throws Exception {
        Path sub = Files.createDirectories(dir.resolve("sub"));
        Path base = sub.resolve("base.raw");
        Qemu.patternRaw(base, 8L << 20, 7); // raw base, shorter than the layers above
        Path mid = sub.resolve("mid.qcow2");
        Qemu.img(dir, "create", "-f", "qcow2", "-o", "cluster_size=4k", "-b", "base.raw", "-F", "raw", mid.toString(), "16M").orFail();
        Qemu.io(dir, mid, "qcow2", "write -P 0x41 1M 1M", "write -P 0x42 9M 100k", "write -z 4M 64k").orFail();
        Path upper = dir.resolve("upper.qcow2");
        Qemu.img(dir, "create", "-f", "qcow2", "-b", mid.toAbsolutePath().toString(), "-F", "qcow2", upper.toString(), "20M").orFail();
        Qemu.io(dir, upper, "qcow2", "write -P 0x43 1536k 8k", "write -P 0x44 15M 2M").orFail();
        Path top = dir.resolve("top.qcow2");
        Qemu.img(dir, "create", "-f", "qcow2", "-o", "compat=0.10", "-b", "upper.qcow2", "-F", "qcow2", top.toString()).orFail();
        Qemu.io(dir, top, "qcow2", "write -P 0x45 100 5000", "write -P 0x46 7M 3M").orFail();
        // upper.qcow2 names mid.qcow2 by an absolute path: followed only inside a named backing directory.
        assertThatThrownBy(() -> ImageFormats.info(top)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("upper.qcow2").hasMessageContaining("is an absolute path");
        ImageSource withDir = ImageSource.of(top).withBackingDir(dir);
        assertReadsLikeQemu(withDir);
        var info = ImageFormats.info(withDir);
        assertThat(info.backingChain()).extracting(i -> Path.of(i.file()).getFileName().toString())
                .containsExactly("top.qcow2", "upper.qcow2", "mid.qcow2", "base.raw");
        assertThat(info.backingChain().get(3).format()).isEqualTo("raw");
        assertThat(ImageFormats.chainFiles(withDir)).hasSize(4);

        // qemu-img info --backing-chain agrees on every layer's format, sizes and backing names.
        String json = Qemu.img(dir, "info", "--output=json", "--backing-chain", top.toString()).orFail().output();
        var layers = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
        assertThat(layers).hasSize(4);
        for (int i = 0; i < 4; i++) {
            var theirs = layers.get(i);
            var ours = info.backingChain().get(i);
            assertThat(ours.format()).isEqualTo(theirs.get("format").asText());
            assertThat(ours.virtualSize()).isEqualTo(theirs.get("virtual-size").asLong());
            // qemu counts st_blocks, which gains the filesystem's extent-tree blocks once the
            // written layers reach the disk (ext4 writes back when it likes); we count data
            // extents. Equal before writeback, a block or two apart after it.
            assertThat(theirs.get("actual-size").asLong()).as("actual size of layer %d", i)
                    .isBetween(ours.actualSize(), ours.actualSize() + 2 * 4096);
            if (theirs.has("cluster-size")) {
                assertThat(ours.clusterSize()).isEqualTo(theirs.get("cluster-size").asInt());
            }
            assertThat(ours.backingFile()).isEqualTo(theirs.has("backing-filename") ? theirs.get("backing-filename").asText() : null);
            if (theirs.has("backing-filename-format")) {
                assertThat(ours.backingFormat()).isEqualTo(theirs.get("backing-filename-format").asText());
            }
        }
    }

    @Test
    void infoMatchesQemuImgInfoForAFreshImageAndARawFile() throws Exception {
        Path fresh = dir.resolve("fresh.qcow2");
        Qemu.img(dir, "create", "-f", "qcow2", fresh.toString(), "64M").orFail(); // 196616 bytes, not block-aligned
        Path raw = source();
        for (Path file : List.of(fresh, raw)) {
            String json = Qemu.img(dir, "info", "--output=json", file.toString()).orFail().output();
            var theirs = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
            var ours = ImageFormats.info(file);
            assertThat(ours.format()).isEqualTo(theirs.get("format").asText());
            assertThat(ours.virtualSize()).isEqualTo(theirs.get("virtual-size").asLong());
            assertThat(ours.actualSize()).as("actual size of %s", file.getFileName()).isEqualTo(theirs.get("actual-size").asLong());
        }
    }

    @Test
    void layerAllocationMatchesQemuMap() throws Exception {
        Path base = dir.resolve("base.qcow2");
        Qemu.img(dir, "convert", "-O", "qcow2", source().toString(), base.toString()).orFail();
        Path top = dir.resolve("top.qcow2");
        Qemu.img(dir, "create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", top.toString()).orFail();
        Qemu.io(dir, top, "qcow2", "write -P 1 0 64k", "write -P 2 1M 200k", "write -z 5M 128k").orFail();
        try (Qcow2Image layer = Qcow2Image.open(top, true)) {
            var extents = layer.layerAllocation();
            assertThat(extents).extracting(e -> e.offset() + ":" + e.length() + ":" + e.kind())
                    .containsExactly("0:65536:DATA", "1048576:262144:DATA", "5242880:131072:ZERO");
        }
        // qemu-img map of the top layer alone (--output=json, depth 0 entries) agrees on what is allocated
        String map = Qemu.img(dir, "map", "--output=json", top.toString()).orFail().output();
        assertThat(map).contains("\"start\": 0, \"length\": 65536, \"depth\": 0");
        List<String> lines = map.lines().filter(l -> l.contains("\"depth\": 0")).toList();
        assertThat(lines).hasSize(3);
    }
}
