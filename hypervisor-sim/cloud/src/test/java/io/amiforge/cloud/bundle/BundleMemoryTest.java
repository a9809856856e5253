package io.amiforge.cloud.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.FileBlockDevice;
import io.amiforge.cloud.bundle.BundleManifest.MachineConfiguration;
import io.amiforge.testkit.Processes;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Memory stays flat: a child JVM limited to a 64 MiB heap bundles and unbundles a 1 GiB sparse
 * image (data at the start, middle and end). An implementation that buffered a part, the
 * compressed stream or the image would die with OutOfMemoryError.
 */
@Tag("interop") // keys come from openssl
class BundleMemoryTest {

    @TempDir
    static Path keyDir;
    static BundleKeys keys;

    @BeforeAll
    static void keys() {
        keys = BundleKeys.create(keyDir);
    }

    /** The child: bundle then unbundle; prints the restored image's SHA-1. */
    public static void main(String[] args) throws Exception {
        Path image = Path.of(args[0]);
        Path work = Path.of(args[1]);
        Bundler.Result r = Bundler.withKeyFiles(Path.of(args[2]), Path.of(args[3]), Path.of(args[4]))
                .withThreads(2).withDurable(false).bundle(image, work.resolve("bundle"), null, "111122223333",
                        MachineConfiguration.of("x86_64"));
        Unbundler.Result u = Unbundler.withPrivateKeyFile(Path.of(args[3])).unbundle(r.manifestFile(),
                work.resolve("bundle"), work.resolve("restored"));
        Runtime rt = Runtime.getRuntime();
        System.out.println("parts=" + r.partFiles().size() + " heapUsed=" + (rt.totalMemory() - rt.freeMemory())
                + " maxHeap=" + rt.maxMemory());
        System.out.println("restored-sha1=" + TestImages.sha1(u.imageFile()));
    }

    @Test
    void oneGibSparseImageUnder64MibHeap(@TempDir Path dir) throws Exception {
        Path image = dir.resolve("big.img");
        long size = 1L << 30;
        try (FileBlockDevice dev = FileBlockDevice.create(image, size); Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(4 << 20);
            seg.copyFrom(MemorySegment.ofArray(TestImages.semiCompressible(4 << 20, 8)));
            dev.write(0, seg);
            dev.write(size / 2 + 12345 * 512, seg);
            dev.write(size - (4 << 20), seg);
            dev.flush();
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Processes.Result child = Processes.run(List.of(java, "-Xmx64m", "-XX:+ExitOnOutOfMemoryError",
                "-cp", System.getProperty("java.class.path"), BundleMemoryTest.class.getName(), image.toString(),
                dir.toString(), keys.userCert().toString(), keys.userKey().toString(), keys.ec2Cert().toString()));
        assertThat(child.exitCode()).as(child.output()).isZero();
        assertThat(child.output()).contains("restored-sha1=" + TestImages.sha1(image));
    }
}
