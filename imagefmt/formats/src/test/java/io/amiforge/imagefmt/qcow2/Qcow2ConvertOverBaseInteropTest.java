package io.amiforge.imagefmt.qcow2;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageConverter;
import io.amiforge.imagefmt.format.ImageFormats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code image convert -O qcow2 -B BASE} (and {@code -O vpc -B}): the target is created over
 * BASE and holds only what differs from it, checked with {@code qemu-img check}, {@code compare}
 * against the source, and {@code qemu-img map}: only the changed cluster (or subclusters) is data
 * in the top layer, the range the source zeroed over the base's data is zero there, the rest is the base's.
 */
@Tag("interop")
class Qcow2ConvertOverBaseInteropTest {

    private static final int SIZE = 8 << 20;
    private static final Pattern ENTRY = Pattern.compile(
            "\"start\": (\\d+), \"length\": (\\d+), \"depth\": (\\d+), \"present\": (\\w+), \"zero\": (\\w+), \"data\": (\\w+)");

    @TempDir
    Path dir;

    /**
     * Written: the two 4 KiB units the change touches, or its whole cluster when compressing. In
     * the top: the 64 KiB cluster (copied from the base around them), or only the four 2 KiB
     * subclusters written with extended L2 entries.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"plain, false, false, 8192, 65536", "compressed, true, false, 65536, 65536", "extended_l2, false, true, 8192, 8192"})
    void onlyTheDifferencesFromTheBaseAreWritten(String name, boolean compressed, boolean extended, long expectWritten, long expectData)
            throws Exception {
        byte[] bytes = new byte[SIZE];
        new Random(8).nextBytes(bytes);
        Path baseRaw = Files.write(dir.resolve("base.raw"), bytes);
        Qemu.img(dir, "convert", "-f", "raw", "-O", "qcow2", baseRaw.toString(), dir.resolve("base.qcow2").toString()).orFail();
        byte[] changed = bytes.clone();
        Arrays.fill(changed, (1 << 20) + 3000, (1 << 20) + 8000, (byte) 0x77); // in two 4 KiB units of one cluster
        Arrays.fill(changed, 4 << 20, 5 << 20, (byte) 0); // the base's data zeroed
        Path source = Files.write(dir.resolve("source.raw"), changed);

        Path top = dir.resolve("top.qcow2");
        long written = ImageConverter.convert(source, top, "qcow2", CreateOptions.defaults().withBacking("base.qcow2", "qcow2")
                .withCompressed(compressed).withExtendedL2(extended));
        assertThat(written).isEqualTo(expectWritten);
        Qemu.check(top);
        Qemu.compare(top, source);
        assertThat(ImageFormats.info(top).backingFile()).isEqualTo("base.qcow2");

        long topData = 0;
        long topZero = 0;
        Matcher m = ENTRY.matcher(Qemu.img(dir, "map", "--output=json", top.toString()).orFail().output());
        while (m.find()) {
            long length = Long.parseLong(m.group(2));
            if (m.group(3).equals("0") && m.group(6).equals("true")) {
                topData += length;
            } else if (m.group(3).equals("0") && m.group(5).equals("true")) {
                topZero += length;
            }
        }
        assertThat(topData).as("data in the top layer").isEqualTo(expectData);
        assertThat(topZero).as("zeros in the top layer").isEqualTo(1 << 20);
    }

    @Test
    void aDifferencingVhdReadsAsTheSource() throws Exception {
        String format = "vpc";
        byte[] bytes = new byte[SIZE];
        new Random(9).nextBytes(bytes);
        Path baseRaw = Files.write(dir.resolve("base.raw"), bytes);
        ImageConverter.convert(baseRaw, dir.resolve("base.vhd"), format, CreateOptions.defaults());
        byte[] changed = bytes.clone();
        Arrays.fill(changed, 3 << 20, (3 << 20) + 100_000, (byte) 0); // zeros over the base's data, partly in a block
        changed[5 << 20] ^= 1;
        Path source = Files.write(dir.resolve("source.raw"), changed);
        Path top = dir.resolve("top.vhd");
        ImageConverter.convert(source, top, format, CreateOptions.defaults().withBacking("base.vhd", format));
        Path merged = dir.resolve("merged.raw");
        ImageConverter.convert(top, merged, "raw", CreateOptions.defaults());
        assertThat(Files.mismatch(merged, source)).isEqualTo(-1L);
        assertThat(Files.size(top)).as("the differencing VHD holds two 2 MiB blocks, not the disk").isLessThan(6L << 20);
    }
}
