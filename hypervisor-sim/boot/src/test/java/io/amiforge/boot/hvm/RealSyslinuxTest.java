package io.amiforge.boot.hvm;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.FileBlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.x86.bios.DiskRead;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's real SYSLINUX 6 in the simulator: syslinux-common's mbr.bin chains to the VBR that
 * {@code syslinux --install} wrote on a FAT16 partition, which loads ldlinux.sys and
 * ldlinux.c32 (32-bit protected mode, calling the BIOS through real-mode thunks), reads
 * syslinux.cfg, times out on the PIT-driven INT 1Ch tick and starts the kernel through its
 * real-mode setup entry; a missing or corrupt kernel ends {@code failed} with SYSLINUX's own words.
 */
@Tag("interop")
class RealSyslinuxTest {

    @TempDir
    Path tmp;

    static String config(String kernel) {
        return """
                TIMEOUT 1
                DEFAULT linux
                LABEL linux
                  KERNEL %s
                  INITRD /initrd.img
                  APPEND console=ttyS0 root=/dev/sda2 from=syslinux
                """.formatted(kernel);
    }

    BootReport boot(String name, String kernelPath, byte[] kernel) throws Exception {
        Path img = SyslinuxDisk.build(tmp, name, Map.of("syslinux.cfg", config(kernelPath).getBytes(StandardCharsets.US_ASCII),
                "vmlinuz", kernel, "initrd.img", new byte[5000]));
        try (FileBlockDevice d = FileBlockDevice.open(img, true)) {
            return HvmBoot.boot(d, HvmBoot.Options.defaults().withMaxInstructions(80_000_000).withTimeLimit(Duration.ofSeconds(120)));
        }
    }

    @Test
    void syslinuxOnFatLoadsKernelAndInitrdAndHandsOffWithItsCommandLine() throws Exception {
        BootReport r = boot("sx.img", "/vmlinuz", TestKernels.foreign("6.1.0-99-fake"));
        assertThat(r.result()).as(r.error() + "\n" + r.screen()).isEqualTo(BootReport.Result.KERNEL_HANDOFF);
        assertThat(r.screen().text()).contains("SYSLINUX 6.04 ","Loading /vmlinuz... ok", "Loading /initrd.img...ok");
        assertThat(r.kernel().version()).startsWith("6.1.0-99-fake");
        assertThat(r.kernel().cmdline()).isEqualTo("BOOT_IMAGE=/vmlinuz console=ttyS0 root=/dev/sda2 from=syslinux initrd=/initrd.img");
        assertThat(r.kernel().attributes()).containsEntry("bootProtocol", "2.10").containsEntry("ramdiskSize", 5000L)
                .as("type_of_loader 0x3x: SYSLINUX").containsEntry("typeOfLoader", 0x30);
        assertThat(r.stages()).extracting(BootReport.Stage::name).containsSubsequence("MBR loaded", "VBR loaded", "kernel hand-off");
        assertThat(r.diskReads()).extracting(DiskRead::lba).startsWith(0L, SyslinuxDisk.START);
    }

    @Test
    void syslinuxWithAMissingKernelFailsWithItsOwnError() throws Exception {
        BootReport r = boot("sxmissing.img", "/missing", TinyKernel.bzImage());
        assertThat(r.result()).as(r.error() + "\n" + r.screen()).isEqualTo(BootReport.Result.FAILED);
        assertThat(r.error()).contains("Loading /missing... failed: No such file or directory");
        assertThat(r.screen().text()).contains("Loading /missing... failed: No such file or directory");
        assertThat(r.kernel()).isNull();
    }

    @Test
    void syslinuxWithACorruptKernelHeaderFailsWithItsOwnError() throws Exception {
        BootReport r = boot("sxbad.img", "/vmlinuz", TestKernels.badHeader());
        assertThat(r.result()).as(r.error() + "\n" + r.screen()).isEqualTo(BootReport.Result.FAILED);
        assertThat(r.error()).contains("Loading /vmlinuz... ok / Loading /initrd.img...ok / Booting kernel failed: Invalid argument");
        assertThat(r.kernel()).isNull();
    }
}
