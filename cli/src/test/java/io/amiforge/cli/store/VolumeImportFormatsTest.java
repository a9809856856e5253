package io.amiforge.cli.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.cli.Main;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageConverter;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.ova.OvaFormat;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code volume import} of VHD, VMDK and OVA images: the guest disk is imported, not the image
 * file's bytes; an OVA gives a volume per disk (NAME-N) or the one {@code --disk} chooses.
 */
class VolumeImportFormatsTest {

    @TempDir
    Path dir;

    private int run(String... args) {
        return runWith(new StringWriter(), args);
    }

    private int runWith(StringWriter err, String... args) {
        String[] full = new String[args.length + 2];
        full[0] = "--store";
        full[1] = dir.resolve("state").toString();
        System.arraycopy(args, 0, full, 2, args.length);
        return Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), full);
    }

    private byte[] exported(String volume) throws Exception {
        Path back = dir.resolve(volume + ".back");
        assertThat(run("volume", "export", volume, back.toString())).as(volume).isZero();
        return Files.readAllBytes(back);
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

    @Test
    void anOvaBecomesAVolumePerDiskOrTheDiskChosen() throws Exception {
        byte[] first = new byte[2 << 20];
        Arrays.fill(first, 4096, 8192, (byte) 1);
        byte[] second = new byte[3 << 20];
        Arrays.fill(second, 1 << 20, (1 << 20) + 100, (byte) 2);
        Path ova = dir.resolve("app.ova");
        try (BlockDevice a = ImageFormats.open(Files.write(dir.resolve("a.raw"), first), true);
                BlockDevice b = ImageFormats.open(Files.write(dir.resolve("b.raw"), second), true)) {
            OvaFormat.writeAppliance(ova, List.of(a, b));
        }
        assertThat(run("volume", "import", "app", ova.toString())).isZero();
        assertThat(exported("app-1")).isEqualTo(first);
        assertThat(exported("app-2")).isEqualTo(second);

        assertThat(run("volume", "import", "data", ova.toString(), "--disk", "2")).isZero();
        assertThat(exported("data")).isEqualTo(second);

        StringWriter err = new StringWriter();
        assertThat(runWith(err, "volume", "import", "x", ova.toString(), "--disk", "3")).isEqualTo(2);
        assertThat(err.toString()).contains("app.ova has 2 disks, no disk 3: 1: vmdisk1 (app-disk1.vmdk, 2097152 bytes);"
                + " 2: vmdisk2 (app-disk2.vmdk, 3145728 bytes)");
        err = new StringWriter();
        assertThat(runWith(err, "volume", "import", "x", dir.resolve("a.raw").toString(), "--disk", "1")).isEqualTo(2);
        assertThat(err.toString()).contains("--disk chooses a disk of an OVA", "a.raw is raw");

        // app-2 is taken: nothing is imported, not even the first disk
        assertThat(run("volume", "create", "other-2", "--size", "1M")).isZero();
        err = new StringWriter();
        assertThat(runWith(err, "volume", "import", "other", ova.toString())).isNotZero();
        assertThat(err.toString()).contains("volume 'other-2' already exists; nothing was imported");
        StringWriter out = new StringWriter();
        Main.run(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true), "--store", dir.resolve("state").toString(),
                "volume", "list");
        assertThat(out.toString()).doesNotContain("other-1");
    }
}
