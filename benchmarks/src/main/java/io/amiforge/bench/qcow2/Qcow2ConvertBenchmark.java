package io.amiforge.bench.qcow2;

import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageConverter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * qcow2 -> raw conversion, amiforge ({@link ImageConverter}) against {@code qemu-img convert
 * -O raw} on the same file in the same run. Score: seconds per conversion of the workload
 * (divide the workload size by it for MiB/s; {@link Qcow2VersusQemu} prints that and the ratio).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 4)
@Fork(1)
public class Qcow2ConvertBenchmark {

    @Param("268435456")
    long size;

    Qcow2Workload workload;
    Path out;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "amiforge-bench-qcow2");
        Files.createDirectories(dir);
        workload = new Qcow2Workload(dir, size);
        out = dir.resolve("converted.raw");
    }

    @Benchmark
    public long amiforgeConvert() {
        return ImageConverter.convert(workload.qcow2, out, "raw", CreateOptions.defaults(), false);
    }

    @Benchmark
    public String qemuImgConvert() throws Exception {
        String qemu = Qcow2Workload.qemuImg();
        if (qemu == null) {
            throw new IllegalStateException("qemu-img is not installed");
        }
        return Qcow2Workload.run(java.util.List.of(qemu, "convert", "-O", "raw", workload.qcow2.toString(), out.toString()));
    }
}
