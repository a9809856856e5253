package io.amiforge.cli.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.amiforge.cli.CliRunner;
import io.amiforge.cli.CliRunner.Run;
import io.amiforge.cli.common.Json;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code image measure -O qcow2 -o OPTS} against {@code qemu-img measure} with the same options,
 * for every combination of the qcow2 creation options {@code image create} takes (cluster_size,
 * extended_l2, refcount_bits, preallocation, data_file, compression_type), each on an empty image
 * of two sizes, a sparse raw file with data and zeros, and a qcow2 of it: the required and fully
 * allocated figures are qemu-img's. Options qemu-img refuses to measure are refused too (exit 1
 * for both, a usage error here).
 */
@Tag("interop")
class MeasureOptionsInteropTest {

    @TempDir
    static Path dir;

    /** The sources measured with each option set: empty images by size, and files. */
    private static final List<List<String>> SOURCES = List.of(
            List.of("--size", "10G"),
            List.of("--size", "3T"),
            List.of("data.raw"),
            List.of("data.qcow2"));

    @BeforeAll
    static void sources() {
        qemu("qemu-img", "create", "-f", "raw", "data.raw", "100M").orFail();
        qemu("qemu-io", "-f", "raw", "-c", "write -P 0x11 0 3M", "-c", "write -P 0x22 40M 5K", "-c", "write -P 0x33 99M 1M",
                "data.raw").orFail();
        qemu("qemu-img", "convert", "-f", "raw", "-O", "qcow2", "data.raw", "data.qcow2").orFail();
    }

    private static Processes.Result qemu(String tool, String... args) {
        List<String> command = new ArrayList<>(List.of(Interop.tool(tool).toString()));
        command.addAll(List.of(args));
        return Processes.command(command).in(dir).run();
    }

    /** Every combination of the options, as one {@code -o} value. */
    static Stream<String> options() {
        List<String> all = new ArrayList<>();
        for (String cluster : List.of("4K", "64K", "2M")) {
            for (String extendedL2 : List.of("off", "on")) {
                for (String refcountBits : List.of("1", "16", "64")) {
                    for (String preallocation : List.of("off", "metadata", "falloc", "full")) {
                        for (String dataFile : List.of("", ",data_file=guest.data")) {
                            for (String compression : List.of("zlib", "zstd")) {
                                all.add("cluster_size=%s,extended_l2=%s,refcount_bits=%s,preallocation=%s%s,compression_type=%s"
                                        .formatted(cluster, extendedL2, refcountBits, preallocation, dataFile, compression));
                            }
                        }
                    }
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "-o {0}")
    @MethodSource("options")
    void requiredAndFullyAllocatedAreQemuImgs(String options) throws IOException {
        for (List<String> source : SOURCES) {
            compare(options, source);
        }
    }

    @ParameterizedTest(name = "-o {0}")
    @ValueSource(strings = {"compat=0.10,refcount_bits=8", "compat=0.10,extended_l2=on", "cluster_size=512", "cluster_size=512,extended_l2=on",
        "backing_file=data.raw", "lazy_refcounts=on,compat=1.1"})
    void refusalsAndOtherOptionsAgreeWithQemuImg(String options) throws IOException {
        for (List<String> source : SOURCES) {
            compare(options, source);
        }
    }

    private static void compare(String options, List<String> source) throws IOException {
        String what = "-o " + options + " " + String.join(" ", source);
        List<String> theirs = new ArrayList<>(List.of("measure", "--output=json", "-O", "qcow2", "-o", options));
        theirs.addAll(source);
        Processes.Result qemu = qemu("qemu-img", theirs.toArray(String[]::new));
        List<String> ours = new ArrayList<>(List.of("image", "measure", "--output=json", "-O", "qcow2", "-o", options));
        ours.addAll(source.stream().map(a -> a.startsWith("data.") ? dir.resolve(a).toString() : a).toList());
        Run run = CliRunner.run(ours.toArray(String[]::new));
        if (qemu.exitCode() != 0) {
            assertThat(run.exitCode()).as(what + ": qemu-img refused it: " + qemu.output()).isEqualTo(2);
            assertThat(run.err()).as(what).contains("-o: ");
            return;
        }
        assertThat(run.exitCode()).as(what + ": " + run.err()).isZero();
        JsonNode mine = Json.MAPPER.readTree(run.out());
        JsonNode expected = Json.MAPPER.readTree(qemu.stdoutText());
        assertThat(mine.get("required")).as(what + " required").isEqualTo(expected.get("required"));
        assertThat(mine.get("fully-allocated")).as(what + " fully allocated").isEqualTo(expected.get("fully-allocated"));
    }
}
