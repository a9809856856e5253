package io.amiforge.cloud.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.GZIPInputStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParallelGzipOutputStreamTest {

    private static final int B = ParallelGzipOutputStream.BLOCK_SIZE;

    static byte[] gzip(byte[] data, int threads, int chunk) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ParallelGzipOutputStream gz = new ParallelGzipOutputStream(out, 6, threads)) {
            for (int i = 0; i < data.length; i += chunk) {
                gz.write(data, i, Math.min(chunk, data.length - i));
            }
        }
        return out.toByteArray();
    }

    static byte[] gunzip(byte[] gz) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
            return in.readAllBytes();
        }
    }

    @Test
    void blockBoundariesRoundTripThroughJdkGunzip() throws IOException {
        for (int size : new int[] {0, 1, B - 1, B, B + 1, 2 * B, 5 * B + 12345}) {
            byte[] data = TestImages.semiCompressible(size, size);
            byte[] gz = gzip(data, 3, 7000);
            assertThat(gunzip(gz)).as("size %d", size).isEqualTo(data);
            assertThat(gz[0] & 0xff).isEqualTo(0x1f);
            assertThat(gz[1] & 0xff).isEqualTo(0x8b);
        }
    }

    @Property(tries = 25)
    void anySizeAnyChunkingAnyThreads(@ForAll @IntRange(min = 0, max = 700_000) int size,
            @ForAll @IntRange(min = 1, max = 300_000) int chunk, @ForAll @IntRange(min = 1, max = 4) int threads)
            throws IOException {
        byte[] data = TestImages.semiCompressible(size, size * 31L + chunk);
        assertThat(gunzip(gzip(data, threads, chunk))).isEqualTo(data);
    }

    @Test
    void dictionaryMakesRepeatsAcrossBlocksCompress() throws IOException {
        // 64 KiB random repeated: without the 32 KiB dictionary each block would store its random half raw.
        byte[] unit = new byte[16 * 1024];
        new SplittableRandom(1).nextBytes(unit);
        byte[] data = new byte[8 * B];
        for (int i = 0; i < data.length; i += unit.length) {
            System.arraycopy(unit, 0, data, i, unit.length);
        }
        byte[] gz = gzip(data, 2, 65536);
        assertThat(gunzip(gz)).isEqualTo(data);
        assertThat(gz.length).isLessThan(unit.length * 2);
    }

    @Test
    void sinkFailureSurfacesInCloseAndStopsThreads() {
        OutputStream broken = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("disk full");
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                throw new IOException("disk full");
            }
        };
        assertThatThrownBy(() -> {
            try (ParallelGzipOutputStream gz = new ParallelGzipOutputStream(broken, 6, 2)) {
                byte[] data = TestImages.semiCompressible(4 * B, 5);
                for (int i = 0; i < 20; i++) {
                    gz.write(data);
                }
            }
        }).isInstanceOf(IOException.class).hasMessageContaining("disk full");
    }

    @Test
    @Tag("interop")
    void gzipAndPigzDecompressIt(@TempDir Path dir) throws IOException {
        Path gzipTool = Interop.tool("gzip");
        Path pigz = Interop.tool("pigz");
        byte[] data = TestImages.semiCompressible(3 * B + 777, 42);
        Path file = dir.resolve("data.gz");
        Files.write(file, gzip(data, 2, 50_000));
        Files.write(dir.resolve("expected"), data);
        Processes.run(dir, List.of("sh", "-c", gzipTool + " -t data.gz && " + gzipTool + " -dc data.gz > a && "
                + pigz + " -dc data.gz > b && cmp a expected && cmp b expected")).orFail();
    }
}
