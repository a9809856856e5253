package io.amiforge.boot.hvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.FileBlockDevice;
import io.amiforge.blockdev.MemoryBlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.boot.DebianKernelFixture;
import io.amiforge.imagefmt.build.ImageBuilder;
import io.amiforge.testkit.Interop;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Images built with {@code --bootloader grub}: the host's GRUB 2, installed without mounting, boots their kernel. */
@Tag("interop")
class GrubBootChainTest {

    static BootReport buildAndBoot(ImageBuilder.PartitionScheme scheme, byte[] kernel, byte[] initrd, String cmdline) {
        Interop.tool("grub-mkimage");
        MemoryBlockDevice disk = new MemoryBlockDevice("grub-built", 16L << 20);
        ImageBuilder.from((Path) null).partition(scheme).boot(ImageBuilder.BootMode.HVM).kernel(kernel)
                .initrd(initrd).cmdline(cmdline).sourceDateEpoch(1_700_000_000L)
                .bootCode(new GrubBootChain(scheme == ImageBuilder.PartitionScheme.GPT)).build(disk);
        return HvmBoot.boot(disk, HvmBoot.Options.defaults().withMaxInstructions(300_000_000).withTimeLimit(Duration.ofSeconds(120)));
    }

    @Test
    void anMbrImageBootsThroughGrubToTheKernelWithItsCommandLineAndInitrd() {
        BootReport r = buildAndBoot(ImageBuilder.PartitionScheme.MBR, TinyKernel.bzImage(), new byte[70_000], "console=ttyS0 from=builder");
        assertThat(r.result()).as(r.error() + "\n" + r.screen()).isEqualTo(BootReport.Result.KERNEL_HANDOFF);
        assertThat(r.kernel().cmdline()).isEqualTo("BOOT_IMAGE=/boot/vmlinuz console=ttyS0 from=builder");
        assertThat(r.kernel().version()).startsWith("amiforge-tiny 1.0");
        assertThat(r.kernel().attributes()).containsEntry("ramdiskSize", 70_000L).as("GRUB 2.x: type_of_loader 0x72")
                .containsEntry("typeOfLoader", 0x72);
        assertThat((String) r.details().get("entry")).startsWith("32-bit boot protocol");
    }

    @Test
    void aGptImageBootsThroughGrubFromTheSectorsAfterTheEntryArray() {
        BootReport r = buildAndBoot(ImageBuilder.PartitionScheme.GPT, TinyKernel.bzImage(), null, "root=/dev/sda1 gpt=yes");
        assertThat(r.result()).as(r.error() + "\n" + r.screen()).isEqualTo(BootReport.Result.KERNEL_HANDOFF);
        assertThat(r.kernel().cmdline()).isEqualTo("BOOT_IMAGE=/boot/vmlinuz root=/dev/sda1 gpt=yes");
        assertThat(r.diskReads().get(1).lba()).as("boot.img reads core.img's first sector at LBA 34").isEqualTo(34L);
    }

    @Test
    void aRealDebianKernelIsHandedOffAsOnQemu(@TempDir Path tmp) throws Exception {
        Interop.tool("grub-mkimage");
        Path vmlinuz = DebianKernelFixture.vmlinuz(DebianKernelFixture.CLOUD, tmp);
        Path img = tmp.resolve("grub-debian.img");
        ImageBuilder.from((Path) null).partition(ImageBuilder.PartitionScheme.MBR).boot(ImageBuilder.BootMode.HVM)
                .kernel(Files.readAllBytes(vmlinuz)).cmdline("console=ttyS0 panic=-1 from=grub").sourceDateEpoch(1_700_000_000L)
                .bootCode(new GrubBootChain(false)).buildRaw(img, 64L << 20);
        BootReport r;
        try (FileBlockDevice disk = FileBlockDevice.open(img, true)) { // GRUB reads the 14 MB kernel a sector run at a time
            r = HvmBoot.boot(disk, HvmBoot.Options.defaults().withMaxInstructions(2_000_000_000).withTimeLimit(Duration.ofSeconds(120)));
        }
        assertThat(r.result()).as(r.error() + "\n" + r.screen()).isEqualTo(BootReport.Result.KERNEL_HANDOFF);
        assertThat(r.kernel().version()).startsWith(DebianKernelFixture.release(vmlinuz) + " (");
        assertThat(r.kernel().cmdline()).isEqualTo("BOOT_IMAGE=/boot/vmlinuz console=ttyS0 panic=-1 from=grub");
        // GRUB writes to the screen only: QEMU's COM1 holds the kernel's lines and nothing of the loader's
        assertThat(QemuSerial.assertSameKernelAsQemu(r, img)).isEmpty();
        assertThat(r.console()).isEmpty();
    }

    @Test
    void grubCfgBootsTheKernelAtOnceAndRefusesWhatGrubsParserWouldRead() {
        assertThat(GrubBootChain.grubCfg("console=ttyS0", true)).isEqualTo("""
                set timeout=0
                menuentry 'amiforge' {
                \tlinux /boot/vmlinuz console=ttyS0
                \tinitrd /boot/initrd.img
                }
                """);
        assertThatThrownBy(() -> GrubBootChain.grubCfg("init=/bin/sh;reboot", false)).isInstanceOf(AmiforgeException.class)
                .hasMessageContaining("';' at offset 12");
    }
}
