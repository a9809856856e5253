package io.amiforge.cli.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.amiforge.cli.CliRunner;
import io.amiforge.cli.CliRunner.Run;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image commands against qemu-img on the same files: qemu-img checks what amiforge creates,
 * and amiforge's info, map and compare say what qemu-img says (its text, its JSON, its exit code).
 */
@Tag("interop")
class QemuImgParityTest {

    @TempDir
    Path dir;

    private Path qemuImg;
    private Path qemuIo;

    @BeforeEach
    void tools() {
        qemuImg = Interop.tool("qemu-img");
        qemuIo = Interop.tool("qemu-io");
    }

    private Processes.Result qemu(Path tool, String... args) {
        List<String> command = new ArrayList<>(List.of(tool.toString()));
        command.addAll(List.of(args));
        return Processes.command(command).in(dir).run();
    }

    private Run amiforge(String... args) {
        List<String> all = new ArrayList<>(List.of("--store", dir.resolve("store").toString()));
        all.addAll(List.of(args));
        return CliRunner.run(all.toArray(String[]::new));
    }

    private Path file(String name) {
        return dir.resolve(name);
    }

    /** A 64 MiB raw base made by qemu-img and a qcow2 over it made by amiforge, with data and zero writes by qemu-io. */
    private Path chain() {
        qemu(qemuImg, "create", "-f", "raw", "base.raw", "64M").orFail();
        qemu(qemuIo, "-f", "raw", "-c", "write -P 0x11 8M 1M", "base.raw").orFail();
        Run create = amiforge("image", "create", "-f", "qcow2", "-b", "base.raw", "-F", "raw", file("top.qcow2").toString());
        assertThat(create.exitCode()).as(create.err()).isZero();
        assertThat(create.out()).startsWith("Formatting '" + file("top.qcow2") + "', fmt=qcow2 cluster_size=65536")
                .contains("backing_file=base.raw backing_fmt=raw size=67108864");
        qemu(qemuIo, "-c", "write -P 0x55 1M 200K", "-c", "write -z 8M 128K", "top.qcow2").orFail();
        settle(file("base.raw"));
        settle(file("top.qcow2"));
        return file("top.qcow2");
    }

    /**
     * fsyncs {@code f}, so that ext4's delayed allocation is resolved before two tools read its
     * "disk size" (st_blocks): between two unsynced reads writeback may change it (seen: 516 vs 520 KiB).
     */
    private static void settle(Path f) {
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.WRITE)) {
            channel.force(true);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void createdImagesPassQemuImgCheckWithTheBackingFileRecorded() throws Exception {
        chain();
        assertThat(qemu(qemuImg, "check", "top.qcow2").orFail().stdoutText()).contains("No errors were found on the image.");
        JsonNode info = new ObjectMapper().readTree(qemu(qemuImg, "info", "--output=json", "top.qcow2").orFail().stdoutText());
        assertThat(info.get("virtual-size").asLong()).isEqualTo(64L << 20);
        assertThat(info.get("backing-filename").asText()).isEqualTo("base.raw");
        assertThat(info.get("backing-filename-format").asText()).isEqualTo("raw");
        Run sized = amiforge("image", "create", "-f", "qcow2", "-o", "cluster_size=4K,compat=0.10", file("small.qcow2").toString(), "3M");
        assertThat(sized.exitCode()).as(sized.err()).isZero();
        JsonNode small = new ObjectMapper().readTree(qemu(qemuImg, "info", "--output=json", "small.qcow2").orFail().stdoutText());
        assertThat(small.get("cluster-size").asInt()).isEqualTo(4096);
        assertThat(small.get("format-specific").get("data").get("compat").asText()).isEqualTo("0.10");
        assertThat(qemu(qemuImg, "check", "small.qcow2").exitCode()).isZero();
    }

    @Test
    void infoReadsLikeQemuImgInfoWithTheBackingChain() {
        chain();
        String ours = amiforge("image", "info", file("top.qcow2").toString()).out();
        String theirs = qemu(qemuImg, "info", "--backing-chain", file("top.qcow2").toString()).orFail().stdoutText();
        assertThat(ours).isEqualTo(theirs);
    }

    @Test
    void mapGivesQemuImgsJsonAndTable() throws Exception {
        Path top = chain();
        ObjectMapper mapper = new ObjectMapper();
        JsonNode ours = mapper.readTree(amiforge("image", "map", "--output=json", top.toString()).out());
        JsonNode theirs = mapper.readTree(qemu(qemuImg, "map", "--output=json", top.toString()).orFail().stdoutText());
        assertThat(ours).isEqualTo(theirs);
        assertThat(ours.size()).as("data, zeros and unallocated runs at both depths").isGreaterThanOrEqualTo(5);
        assertThat(amiforge("image", "map", top.toString()).out())
                .isEqualTo(qemu(qemuImg, "map", top.toString()).orFail().stdoutText());
    }

    /**
     * VMDKs (monolithic sparse, a descriptor with a flat extent, one with sparse extents) and
     * VHDs (dynamic, fixed) made by qemu-img from a qcow2 with data: the same JSON (offsets into
     * the files, unstored VMDK grains not present, unstored VHD blocks present as zeros, holes in
     * a flat region data and zeros) and table (naming the extent files); a stream-optimized VMDK's
     * data has no offset and says so.
     */
    @Test
    void mapGivesQemuImgsOffsetsForVmdkAndVhd() throws Exception {
        qemu(qemuImg, "create", "-f", "qcow2", "src.qcow2", "64M").orFail();
        qemu(qemuIo, "-c", "write -P 0x5a 0 1M", "-c", "write -P 0x33 10M 64K", "-c", "write -P 0x77 30M 3M", "src.qcow2").orFail();
        ObjectMapper mapper = new ObjectMapper();
        // monolithic sparse, a descriptor with a FLAT extent (holes in it are data and zeros at an offset) and one with
        // a SPARSE extent (offsets in the extent files, which the table names), a dynamic VHD, a fixed VHD named vpc
        List<String[]> targets = List.of(new String[] {"vmdk", "disk.vmdk"}, new String[] {"vmdk", "flat.vmdk", "subformat=monolithicFlat"},
                new String[] {"vmdk", "split.vmdk", "subformat=twoGbMaxExtentSparse"}, new String[] {"vpc", "disk.vhd"},
                new String[] {"vpc", "fixed.vhd", "subformat=fixed"});
        for (String[] target : targets) {
            List<String> convert = new ArrayList<>(List.of("convert", "-O", target[0]));
            if (target.length > 2) {
                convert.addAll(List.of("-o", target[2]));
            }
            convert.addAll(List.of("src.qcow2", target[1]));
            qemu(qemuImg, convert.toArray(String[]::new)).orFail();
            String image = file(target[1]).toString();
            JsonNode theirs = mapper.readTree(qemu(qemuImg, "map", "-f", target[0], "--output=json", image).orFail().stdoutText());
            assertThat(mapper.readTree(amiforge("image", "map", "-f", target[0], "--output=json", image).out())).as(target[1])
                    .isEqualTo(theirs);
            assertThat(theirs.findValues("offset")).as("qemu-img gives offsets for %s", target[1]).hasSizeGreaterThanOrEqualTo(2);
            assertThat(amiforge("image", "map", "-f", target[0], image).out()).as(target[1])
                    .isEqualTo(qemu(qemuImg, "map", "-f", target[0], image).orFail().stdoutText());
        }
        assertThat(amiforge("image", "map", file("split.vmdk").toString()).out()).as("the extent file in the table")
                .contains(file("split-s001.vmdk").toString());
        qemu(qemuImg, "convert", "-O", "vmdk", "-o", "subformat=streamOptimized", "src.qcow2", "stream.vmdk").orFail();
        JsonNode stream = mapper.readTree(amiforge("image", "map", "--output=json", file("stream.vmdk").toString()).out());
        assertThat(stream).isEqualTo(mapper.readTree(qemu(qemuImg, "map", "--output=json", "stream.vmdk").orFail().stdoutText()));
        assertThat(amiforge("image", "map", file("stream.vmdk").toString()).out()).contains("(compressed)");
    }

    @Test
    void compareSaysWhatQemuImgSaysAndExitsAsItDoes() {
        Path top = chain();
        qemu(qemuImg, "convert", "-O", "raw", "top.qcow2", "flat.raw").orFail();
        qemu(qemuImg, "create", "-f", "raw", "big.raw", "128M").orFail();
        qemu(qemuImg, "create", "-f", "raw", "other.raw", "64M").orFail();
        qemu(qemuIo, "-f", "raw", "-c", "write -P 0x55 1M 200K", "-c", "write -P 0x11 8M 1M", "-c", "write -z 8M 128K",
                "-c", "write -P 0x01 70000 1", "other.raw").orFail();
        List<List<String>> cases = List.of(
                List.of("-F", "raw", top.toString(), file("flat.raw").toString()),
                List.of(file("flat.raw").toString(), file("other.raw").toString()),
                List.of(file("base.raw").toString(), file("big.raw").toString()),
                List.of("-s", file("base.raw").toString(), file("big.raw").toString()),
                List.of(file("flat.raw").toString(), file("base.raw").toString()));
        for (List<String> args : cases) {
            List<String> ours = new ArrayList<>(List.of("image", "compare"));
            ours.addAll(args);
            List<String> theirs = new ArrayList<>(List.of("compare"));
            theirs.addAll(args);
            Run run = amiforge(ours.toArray(String[]::new));
            Processes.Result qemu = qemu(qemuImg, theirs.toArray(String[]::new));
            assertThat(run.exitCode()).as(String.join(" ", args)).isEqualTo(qemu.exitCode());
            assertThat(run.out()).as(String.join(" ", args)).isEqualTo(qemu.stdoutText());
        }
    }

    @Test
    void measureGivesQemuImgsSizes() throws Exception {
        chain();
        ObjectMapper mapper = new ObjectMapper();
        List<List<String>> cases = List.of(
                List.of("-O", "qcow2", "base.raw"),
                List.of("-O", "qcow2", "top.qcow2"),
                List.of("-O", "raw", "top.qcow2"),
                List.of("-O", "qcow2", "--size", "10G"),
                List.of("-O", "qcow2", "-o", "cluster_size=4K", "top.qcow2"),
                List.of("-O", "qcow2", "-o", "cluster_size=2M", "base.raw"));
        for (List<String> args : cases) {
            List<String> ours = new ArrayList<>(List.of("image", "measure", "--output=json"));
            ours.addAll(args.stream().map(a -> a.endsWith(".raw") || a.endsWith(".qcow2") ? file(a).toString() : a).toList());
            List<String> theirs = new ArrayList<>(List.of("measure", "--output=json"));
            theirs.addAll(args);
            Run run = amiforge(ours.toArray(String[]::new));
            assertThat(run.exitCode()).as(run.err()).isZero();
            JsonNode mine = mapper.readTree(run.out());
            JsonNode qemu = mapper.readTree(qemu(qemuImg, theirs.toArray(String[]::new)).orFail().stdoutText());
            assertThat(mine.get("required")).as(String.join(" ", args)).isEqualTo(qemu.get("required"));
            assertThat(mine.get("fully-allocated")).as(String.join(" ", args)).isEqualTo(qemu.get("fully-allocated"));
        }
    }

    @Test
    void commitWritesWhatQemuImgCommitWrites() {
        qemu(qemuImg, "create", "-f", "qcow2", "base.qcow2", "16M").orFail();
        qemu(qemuIo, "-c", "write -P 0x11 0 4M", "-c", "write -P 0x22 12M 1M", "base.qcow2").orFail();
        Run create = amiforge("image", "create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", file("top.qcow2").toString());
        assertThat(create.exitCode()).as(create.err()).isZero();
        qemu(qemuIo, "-c", "write -P 0x55 1M 100K", "-c", "write -z 12M 64K", "-c", "write -P 0x66 15M 4K", "top.qcow2").orFail();
        for (String name : List.of("base.qcow2", "top.qcow2")) {
            qemu(Path.of("/bin/cp"), name, "qemu-" + name).orFail();
        }
        qemu(qemuImg, "rebase", "-u", "-b", "qemu-base.qcow2", "-F", "qcow2", "qemu-top.qcow2").orFail();
        qemu(qemuImg, "commit", "-d", "qemu-top.qcow2").orFail();
        Run without = amiforge("image", "commit", file("top.qcow2").toString());
        assertThat(without.exitCode()).as("qemu-img would empty the top: -d is required").isEqualTo(2);
        Run commit = amiforge("image", "commit", "-d", file("top.qcow2").toString());
        assertThat(commit.exitCode()).as(commit.err()).isZero();
        assertThat(commit.out()).isEqualTo("Image committed.\n");
        assertThat(qemu(qemuImg, "check", "base.qcow2").exitCode()).isZero();
        assertThat(qemu(qemuImg, "compare", "base.qcow2", "qemu-base.qcow2").orFail().stdoutText()).isEqualTo("Images are identical.\n");
        assertThat(qemu(qemuImg, "compare", "base.qcow2", "top.qcow2").orFail().stdoutText()).isEqualTo("Images are identical.\n");
    }
}
