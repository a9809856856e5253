package io.amiforge.cli.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.cli.Main;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageFormats;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageCommandTest {

    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {
    }

    private Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(exit, out.toString(), err.toString());
    }

    private Path chain() {
        Path base = dir.resolve("base.qcow2");
        byte[] data = new byte[100_000];
        Arrays.fill(data, (byte) 0x55);
        try (BlockDevice device = ImageFormats.create(base, "qcow2", 4 << 20, CreateOptions.defaults())) {
            device.write(1000, MemorySegment.ofArray(data));
        }
        Path top = dir.resolve("top.qcow2");
        try (BlockDevice device = ImageFormats.create(top, "qcow2", -1, CreateOptions.defaults().withBacking("base.qcow2", "qcow2"))) {
            device.write(3 << 20, MemorySegment.ofArray(data));
        }
        return top;
    }

    @Test
    void infoPrintsTheBackingChainAsJson() throws Exception {
        Path top = chain();
        Run r = run("image", "info", top.toString(), "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertThat(json.get("format").asText()).isEqualTo("qcow2");
        assertThat(json.get("virtualSize").asLong()).isEqualTo(4 << 20);
        assertThat(json.get("backingChain")).hasSize(2);
        assertThat(json.get("backingChain").get(1).get("file").asText()).endsWith("base.qcow2");
        assertThat(json.get("backingFile").asText()).isEqualTo("base.qcow2");
        assertThat(json.get("partitionTable").asText()).isEqualTo("none");
        assertThat(json.get("partitions")).isEmpty();

        Run text = run("image", "info", top.toString());
        assertThat(text.out()).contains("file format: qcow2", "backing file: base.qcow2", "virtual size: 4 MiB (4194304 bytes)");
    }

    @Test
    void infoListsPartitionsAndTheirFilesystems() throws Exception {
        Path rootfs = Files.createDirectories(dir.resolve("rootfs"));
        Files.writeString(rootfs.resolve("hello"), "hi\n");
        Path disk = dir.resolve("disk.qcow2");
        Run build = run("image", "build", rootfs.toString(), "-o", disk.toString(), "--size", "16M", "--partition", "mbr",
                "--boot", "hvm", "-O", "qcow2");
        assertThat(build.exit()).as(build.err()).isZero();
        Run r = run("image", "info", disk.toString(), "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertThat(json.get("format").asText()).isEqualTo("qcow2");
        assertThat(json.get("partitionTable").asText()).isEqualTo("mbr");
        JsonNode first = json.get("partitions").get(0);
        assertThat(first.get("index").asInt()).isEqualTo(1);
        assertThat(first.get("start").asLong()).isEqualTo(2048);
        assertThat(first.get("sectors").asLong()).isEqualTo(16 * 2048 - 2048);
        assertThat(first.get("type").asText()).isEqualTo("83");
        assertThat(first.get("bootable").asBoolean()).isTrue();
        assertThat(first.get("filesystem").asText()).isEqualTo("ext2");
        Run text = run("image", "info", disk.toString());
        assertThat(text.out()).contains("partition table: mbr\n    1: start 2048, 30720 sectors (15 MiB), type 83, bootable, ext2\n")
                .as("no Java map in human output").doesNotContain("{", "=");
    }

    @Test
    void convertFlattensTheChainToSparseRawAndBack() throws Exception {
        Path top = chain();
        Path raw = dir.resolve("flat.raw");
        Run r = run("image", "convert", top.toString(), raw.toString(), "-O", "raw", "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        byte[] bytes = Files.readAllBytes(raw);
        assertThat(bytes).hasSize(4 << 20);
        assertThat(bytes[1000]).isEqualTo((byte) 0x55);
        assertThat(bytes[(3 << 20) + 99_999]).isEqualTo((byte) 0x55);
        assertThat(bytes[2 << 20]).isZero();
        Path back = dir.resolve("back.qcow2");
        assertThat(run("image", "convert", raw.toString(), back.toString(), "-O", "qcow2", "--cluster-size", "4K").exit()).isZero();
        try (BlockDevice device = ImageFormats.open(back, true)) {
            byte[] again = new byte[bytes.length];
            device.read(0, MemorySegment.ofArray(again));
            assertThat(again).isEqualTo(bytes);
        }
        assertThat(ImageFormats.info(back).clusterSize()).isEqualTo(4096);
    }

    @Test
    void errorsFollowTheContract() throws Exception {
        Run missing = run("image", "info", dir.resolve("nope.qcow2").toString());
        assertThat(missing.exit()).isEqualTo(4);
        assertThat(missing.err()).startsWith("amiforge: FileNotFound: ");

        Path bad = dir.resolve("bad.qcow2");
        byte[] header = new byte[512];
        header[0] = 'Q';
        header[1] = 'F';
        header[2] = 'I';
        header[3] = (byte) 0xfb;
        header[7] = 3;
        header[23] = 40; // cluster_bits 40
        Files.write(bad, header);
        Run corrupt = run("image", "info", bad.toString(), "--json");
        assertThat(corrupt.exit()).isEqualTo(3);
        assertThat(corrupt.err()).contains("InvalidImageFormat", "cluster_bits", "file offset 20");

        Run usage = run("image", "convert", bad.toString(), dir.resolve("x").toString(), "-O", "vdi");
        assertThat(usage.exit()).isEqualTo(2);
    }
}
