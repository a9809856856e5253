package io.amiforge.cli.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.cli.Main;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageConverter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code volume import} of VHD and VMDK images: the guest disk is imported, not the image file's bytes. */
class VolumeImportFormatsTest {

    @TempDir
    Path dir;

    private int run(String... args) {
        String[] full = new String[args.length + 2];
        full[0] = "--store";
        full[1] = dir.resolve("state").toString();
        System.arraycopy(args, 0, full, 2, args.length);
        return Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(new StringWriter(), true), full);
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"vpc,dynamic", "vmdk,monolithicSparse", "vmdk,streamOptimized"})
    void importsTheGuestDiskOfEachFormat(String format, String subformat) throws Exception {
        byte[] disk = new byte[4 << 20];
        Random random = new Random(3);
        byte[] data = new byte[300_000];
        random.nextBytes(data);
        System.arraycopy(data, 0, disk, 1 << 20, data.length);
        Path raw = Files.write(dir.resolve("disk.raw"), disk);
        Path image = dir.resolve("disk." + format);
        ImageConverter.convert(raw, image, format, CreateOptions.defaults().withSubformat(subformat));

        assertThat(run("volume", "import", "disk", image.toString())).isZero();
        Path back = dir.resolve("back.raw");
        assertThat(run("volume", "export", "disk", "-o", back.toString())).isZero();
        assertThat(Arrays.equals(Files.readAllBytes(back), disk)).as("exported volume equals the guest disk").isTrue();
    }
}
