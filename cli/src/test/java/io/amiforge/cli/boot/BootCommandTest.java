package io.amiforge.cli.boot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.amiforge.blockdev.MemoryBlockDevice;
import io.amiforge.boot.hvm.AmiforgeBootChain;
import io.amiforge.boot.hvm.TinyKernel;
import io.amiforge.cli.Main;
import io.amiforge.imagefmt.build.BootPayload;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BootCommandTest {

    @TempDir
    Path tmp;

    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    Path tinyKernelImage() throws Exception {
        MemoryBlockDevice d = new MemoryBlockDevice("img", 2L << 20);
        byte[] k = TinyKernel.bzImage();
        long sectors = (k.length + 511) / 512;
        d.write(64 * 512L, MemorySegment.ofArray(Arrays.copyOf(k, (int) sectors * 512)));
        new AmiforgeBootChain().install(d, 1, new BootPayload(List.of(new BootPayload.Extent(64, sectors)), k.length,
                List.of(), 0, "console=ttyS0"));
        byte[] all = new byte[(int) d.size()];
        d.read(0, MemorySegment.ofArray(all));
        Path img = tmp.resolve("tiny.img");
        Files.write(img, all);
        return img;
    }

    @Test
    void hvmBootPrintsTheContractJson() throws Exception {
        Run r = run("boot", tinyKernelImage().toString(), "--mode", "hvm", "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("mode").asText()).isEqualTo("hvm");
        assertThat(j.get("result").asText()).isEqualTo("halted");
        assertThat(j.get("console").asText()).contains("command line: \"console=ttyS0\"");
        assertThat(j.get("kernel").get("version").asText()).startsWith("amiforge-tiny");
        assertThat(j.get("kernel").get("cmdline").asText()).isEqualTo("console=ttyS0");
        assertThat(j.get("kernel").get("format").asText()).isEqualTo("bzImage");
        assertThat(j.get("instructions").asLong()).isPositive();
        assertThat(j.get("diskReads").get(0).get("lba").asLong()).isZero();
        assertThat(j.get("stages").get(0).get("name").asText()).isEqualTo("BIOS POST");
        assertThat(j.has("error")).isTrue();
    }

    @Test
    void hvmScreenIsInTheReportAndRenderedAsPng() throws Exception {
        Path png = tmp.resolve("shot.png");
        Run r = run("boot", tinyKernelImage().toString(), "--mode", "hvm", "--json", "--screenshot", png.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("screen")).hasSize(25);
        assertThat(j.get("screen").get(0).asText()).isEqualTo("amiforge loader");
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(png.toFile());
        assertThat(img.getWidth()).isEqualTo(640);
        assertThat(img.getHeight()).isEqualTo(400);
        boolean lit = false;
        for (int y = 0; y < 16 && !lit; y++) {
            for (int x = 0; x < 8 && !lit; x++) {
                lit = (img.getRGB(x, y) & 0xFFFFFF) == 0xAAAAAA;
            }
        }
        assertThat(lit).as("the first row's 'a' is drawn in light grey").isTrue();

        Run pv = run("boot", tinyKernelImage().toString(), "--mode", "pv", "--screenshot", png.toString());
        assertThat(pv.exit()).isEqualTo(2);
        assertThat(pv.err()).contains("--screenshot needs --mode hvm");
    }

    @Test
    @org.junit.jupiter.api.Tag("interop")
    void anImageBuiltWithBootloaderGrubBootsThroughGrubToTheKernel() throws Exception {
        io.amiforge.testkit.Interop.tool("grub-mkimage");
        Path root = Files.createDirectories(tmp.resolve("root/etc"));
        Files.writeString(root.resolve("hostname"), "grub\n");
        Path img = tmp.resolve("grub.raw");
        Run build = run("image", "build", tmp.resolve("root").toString(), img.toString(), "--size", "24M",
                "--virtualization", "hvm", "--bootloader", "grub", "--cmdline", "console=ttyS0 via=grub", "--json");
        assertThat(build.exit()).as(build.err()).isZero();
        assertThat(new ObjectMapper().readTree(build.out()).get("bootloader").asText()).isEqualTo("grub");
        Run r = run("boot", img.toString(), "--virtualization", "hvm", "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("result").asText()).isEqualTo("kernel-handoff");
        assertThat(j.get("kernel").get("cmdline").asText()).isEqualTo("BOOT_IMAGE=/boot/vmlinuz console=ttyS0 via=grub");

        Run pv = run("image", "build", tmp.resolve("root").toString(), tmp.resolve("pv.raw").toString(), "--size", "24M",
                "--virtualization", "pv", "--bootloader", "grub");
        assertThat(pv.exit()).isEqualTo(2);
        assertThat(pv.err()).contains("--bootloader grub needs --virtualization hvm");
        Run bad = run("image", "build", tmp.resolve("root").toString(), tmp.resolve("x.raw").toString(), "--size", "24M",
                "--virtualization", "hvm", "--bootloader", "lilo");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("--bootloader lilo: expected amiforge, grub, syslinux or extlinux");
    }

    @Test
    @org.junit.jupiter.api.Tag("interop")
    void anImageBuiltWithBootloaderSyslinuxBootsThroughSyslinuxToTheKernel() throws Exception {
        io.amiforge.testkit.Interop.tool("syslinux");
        io.amiforge.testkit.Interop.tool("mcopy");
        Files.createDirectories(tmp.resolve("root"));
        Path img = tmp.resolve("syslinux.raw");
        Run build = run("image", "build", tmp.resolve("root").toString(), img.toString(), "--size", "64M",
                "--virtualization", "hvm", "--bootloader", "syslinux", "--json");
        assertThat(build.exit()).as(build.err()).isZero();
        JsonNode built = new ObjectMapper().readTree(build.out());
        assertThat(built.get("bootloader").asText()).isEqualTo("syslinux");
        assertThat(built.get("rootPartition").get("start").asLong()).as("after the 32 MiB FAT boot partition").isEqualTo(2048 + 65536);
        Run r = run("boot", img.toString(), "--virtualization", "hvm", "--json");
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("result").asText()).as(r.out()).isEqualTo("halted");
        assertThat(j.get("console").asText()).as("the tiny kernel prints what SYSLINUX passed")
                .contains("command line: \"BOOT_IMAGE=/vmlinuz root=/dev/sda2 ro console=ttyS0\"");
        assertThat(j.get("screen").toString()).contains("SYSLINUX 6.");
    }

    @Test
    @org.junit.jupiter.api.Tag("interop")
    void anImageBuiltWithBootloaderExtlinuxBootsThroughExtlinuxToTheKernel() throws Exception {
        io.amiforge.testkit.Interop.tool("syslinux");
        io.amiforge.testkit.Interop.tool("mcopy");
        Files.createDirectories(tmp.resolve("root"));
        Path img = tmp.resolve("extlinux.raw");
        Run build = run("image", "build", tmp.resolve("root").toString(), img.toString(), "--size", "32M",
                "--virtualization", "hvm", "--bootloader", "extlinux", "--json");
        assertThat(build.exit()).as(build.err()).isZero();
        JsonNode built = new ObjectMapper().readTree(build.out());
        assertThat(built.get("bootloader").asText()).isEqualTo("extlinux");
        assertThat(built.get("rootPartition").get("start").asLong()).as("EXTLINUX boots from the root partition itself").isEqualTo(2048);
        Run r = run("boot", img.toString(), "--virtualization", "hvm", "--json");
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("result").asText()).as(r.out()).isEqualTo("halted");
        assertThat(j.get("console").asText()).as("SYSLINUX's own lines on COM1, then the tiny kernel's")
                .contains("Loading /boot/vmlinuz... ok", "command line: \"BOOT_IMAGE=/boot/vmlinuz root=/dev/sda1 ro console=ttyS0\"");
    }

    @Test
    void exhaustedBudgetExitsOne() throws Exception {
        Run r = run("boot", tinyKernelImage().toString(), "--mode", "hvm", "--max-instructions", "1000");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).contains("result: budget-exhausted");
    }

    @Test
    void pvBootsWhatImageBuildMakesAndFailsClearlyWithoutAFilesystem() throws Exception {
        Path rootfs = Files.createDirectories(tmp.resolve("pv-root"));
        Path image = tmp.resolve("pv.qcow2");
        Run build = run("image", "build", rootfs.toString(), "-o", image.toString(), "--size", "16M",
                "--partition", "none", "--boot", "pv", "--cmdline", "root=/dev/xvda console=hvc0 pvtest=1", "-O", "qcow2");
        assertThat(build.exit()).as(build.err()).isZero();
        Run r = run("boot", image.toString(), "--mode", "pv", "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("mode").asText()).isEqualTo("pv");
        assertThat(j.get("result").asText()).isEqualTo("kernel-handoff");
        assertThat(j.get("kernel").get("cmdline").asText()).isEqualTo("root=/dev/xvda console=hvc0 pvtest=1");
        assertThat(j.get("console").asText()).contains("GNU GRUB", "Booting 'amiforge'");

        Run hvmImageAsPv = run("boot", tinyKernelImage().toString(), "--mode", "pv");
        assertThat(hvmImageAsPv.exit()).isEqualTo(1);
        assertThat(hvmImageAsPv.out()).contains("result: failed").contains("Error 17: Cannot mount selected partition");
    }

    @Test
    void badModeIsAUsageError() throws Exception {
        Run r = run("boot", tinyKernelImage().toString(), "--mode", "xen");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("InvalidParameterValue").contains("hvm or pv");
    }

    @Test
    void missingImageIsNotFound() {
        Run r = run("boot", tmp.resolve("nope.img").toString(), "--mode", "hvm");
        assertThat(r.exit()).isEqualTo(4);
    }
}
