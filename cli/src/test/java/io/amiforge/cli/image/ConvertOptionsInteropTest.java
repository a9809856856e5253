package io.amiforge.cli.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.amiforge.cli.CliRunner;
import io.amiforge.cli.CliRunner.Run;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code image convert -o} subformat options and {@code -c}: qemu-img sees what was asked
 * ({@code qemu-img info}), finds the result consistent ({@code qemu-img check} where it can
 * check the format) and reads it byte-identically to the source ({@code qemu-img compare}).
 */
@Tag("interop")
class ConvertOptionsInteropTest {

    @TempDir
    Path dir;

    private Processes.Result qemuImg(String... args) {
        List<String> command = new ArrayList<>(List.of(Interop.tool("qemu-img").toString()));
        command.addAll(List.of(args));
        return Processes.command(command).in(dir).run();
    }

    private Path source() throws IOException {
        Path raw = dir.resolve("src.raw");
        Random random = new Random(42);
        try (RandomAccessFile f = new RandomAccessFile(raw.toFile(), "rw")) {
            f.setLength(24L << 20);
            for (int i = 0; i < 20; i++) {
                byte[] data = new byte[1 + random.nextInt(200_000)];
                if (i % 3 == 0) {
                    java.util.Arrays.fill(data, (byte) 'z');
                } else {
                    random.nextBytes(data);
                }
                f.seek((long) (random.nextDouble() * ((23L << 20))));
                f.write(data);
            }
        }
        return raw;
    }

    @ParameterizedTest(name = "-O {0} {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
        "qcow2|-o cluster_size=4096,compat=0.10|compat: 0.10",
        "qcow2|-o cluster_size=2M|cluster_size: 2097152",
        "qcow2|-o lazy_refcounts=on|lazy refcounts: true",
        "qcow2|-o extended_l2=on,cluster_size=32K|extended l2: true",
        "qcow2|-o refcount_bits=1|refcount bits: 1",
        "qcow2|-o refcount_bits=64,preallocation=metadata|refcount bits: 64",
        "qcow2|-o preallocation=falloc,extended_l2=on|extended l2: true",
        "qcow2|-o preallocation=full|cluster_size: 65536",
        "qcow2|-o data_file=out.data|data file: out.data",
        "qcow2|-c -o extended_l2=on,cluster_size=32K|extended l2: true",
        "qcow2|-o data_file=out.data,data_file_raw=on|data file raw: true",
        "qcow2|-c|compression type: zlib",
        "qcow2|-c -o compression_type=zstd|compression type: zstd",
        "vpc|-o subformat=fixed|file format: vpc",
        "vpc|-o subformat=dynamic|cluster_size: 2097152",
        "vmdk|-o subformat=streamOptimized|create type: streamOptimized",
        "vmdk|-o subformat=monolithicSparse|create type: monolithicSparse"})
    void qemuImgReadsWhatWasAskedByteIdentically(String format, String options, String infoLine) throws IOException {
        Path src = source();
        Path out = dir.resolve("out." + format);
        List<String> args = new ArrayList<>(List.of("image", "convert", "-O", format));
        args.addAll(List.of(options.split(" ")));
        args.addAll(List.of(src.toString(), out.toString()));
        Run r = CliRunner.run(args.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(qemuImg("info", "-f", format, out.toString()).stdoutText()).contains(infoLine);
        if (!format.equals("vpc")) { // qemu-img cannot check vpc
            Processes.Result check = qemuImg("check", "-f", format, out.toString());
            assertThat(check.exitCode()).as(check.output()).isZero();
        }
        Processes.Result compare = qemuImg("compare", "-f", format, "-F", "raw", out.toString(), src.toString());
        assertThat(compare.exitCode()).as(compare.output()).isZero();
        if (options.contains("-c")) {
            assertThat(qemuImg("map", "--output=json", "-f", format, out.toString()).stdoutText())
                    .as("compressed clusters (data without an offset in qemu-img map) are there").contains("\"data\": true}");
        }
    }

    /** {@code image convert ARGS SRC OUT} is a usage error (exit 2) whose message contains {@code message}. */
    private void assertUsageError(String message, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("image", "convert"));
        command.addAll(List.of(args));
        command.addAll(List.of(source().toString(), dir.resolve("x.img").toString()));
        Run r = CliRunner.run(command.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).contains(message);
    }

    @Test
    void optionsAFormatDoesNotTakeAreUsageErrors() throws IOException {
        assertUsageError("'cluster_size' does not apply to format vpc", "-O", "vpc", "-o", "cluster_size=4K");
        assertUsageError("writes monolithicSparse or streamOptimized", "-O", "vmdk", "-o", "subformat=twoGbMaxExtentFlat");
        assertUsageError("-c: compressed output needs -O qcow2", "-c", "-O", "raw");
        assertUsageError("lazy refcounts need compat 1.1", "-O", "qcow2", "-o", "compat=0.10,lazy_refcounts=on");
        assertUsageError("extended L2 entries need clusters of at least 16 KiB", "-O", "qcow2", "-o", "extended_l2=on,cluster_size=4K");
        assertUsageError("refcount_bits=3: expected a power of two from 1 to 64", "-O", "qcow2", "-o", "refcount_bits=3");
        assertUsageError("preallocation=sparse: expected off, metadata, falloc or full", "-O", "qcow2", "-o", "preallocation=sparse");
        assertUsageError("data_file cannot be combined with compressed clusters", "-c", "-O", "qcow2", "-o", "data_file=x.data");
    }

    /**
     * {@code -B BASE -F FMT}: the target holds only what differs from BASE and reads as the source
     * ({@code qemu-img compare} for qcow2; for vhdx, which qemu-img 7.2 cannot open as a
     * differencing disk, our conversion back to raw); {@code -F} without {@code -B} is a usage error.
     */
    @Test
    void convertOverABaseWritesOnlyTheDifferences() throws IOException {
        Path src = source();
        Path changed = dir.resolve("changed.raw");
        Files.copy(src, changed);
        try (RandomAccessFile f = new RandomAccessFile(changed.toFile(), "rw")) {
            f.seek(5L << 20);
            f.write(new byte[] {1, 2, 3, 4, 5});
        }
        for (String format : List.of("qcow2", "vhdx")) {
            Path base = dir.resolve("base." + format);
            Run made = CliRunner.run("image", "convert", "-O", format, src.toString(), base.toString());
            assertThat(made.exitCode()).as(made.err()).isZero();
            Path top = dir.resolve("top." + format);
            Run over = CliRunner.run("image", "convert", "--output=json", "-O", format, "-B", "base." + format, "-F", format,
                    changed.toString(), top.toString());
            assertThat(over.exitCode()).as(over.err()).isZero();
            JsonNode json = new ObjectMapper().readTree(over.out());
            assertThat(json.get("backingFile").asText()).isEqualTo("base." + format);
            assertThat(json.get("dataBytes").asLong()).as("one 4 KiB unit differs").isEqualTo(4096);
            Path back = dir.resolve("back-" + format + ".raw");
            Run merged = CliRunner.run("image", "convert", "-O", "raw", top.toString(), back.toString());
            assertThat(merged.exitCode()).as(merged.err()).isZero();
            Processes.Result compare = qemuImg("compare", "-f", "raw", "-F", "raw", back.toString(), changed.toString());
            assertThat(compare.exitCode()).as(compare.output()).isZero();
        }
        Processes.Result compare = qemuImg("compare", "-f", "qcow2", "-F", "raw", dir.resolve("top.qcow2").toString(), changed.toString());
        assertThat(compare.exitCode()).as(compare.output()).isZero();
        assertUsageError("-F qcow2 names the format of a backing file, but -B gives none", "-O", "qcow2", "-F", "qcow2");
    }

    @Test
    void aQcow2ImageWithAnExternalDataFileIsReadOnlyWithTheDataFileNamed() throws IOException {
        Path src = source();
        Path image = dir.resolve("ext.qcow2");
        Run made = CliRunner.run("image", "convert", "-O", "qcow2", "-o", "data_file=ext.data", src.toString(), image.toString());
        assertThat(made.exitCode()).as(made.err()).isZero();
        String out = dir.resolve("back.raw").toString();
        Run refused = CliRunner.run("image", "convert", "-O", "raw", image.toString(), out);
        assertThat(refused.exitCode()).isEqualTo(2);
        assertThat(refused.err()).contains("header extension 0x44415441").contains("'ext.data'").contains("--data-file PATH");
        Run named = CliRunner.run("image", "convert", "--data-file", dir.resolve("ext.data").toString(), "-O", "raw",
                image.toString(), out);
        assertThat(named.exitCode()).as(named.err()).isZero();
        Processes.Result compare = qemuImg("compare", "-f", "raw", "-F", "raw", out, src.toString());
        assertThat(compare.exitCode()).as(compare.output()).isZero();
        assertUsageError("format raw has no external data file", "--data-file", "x.data", "-O", "raw");
    }
}
