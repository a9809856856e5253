package io.amiforge.boot.hvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.FileBlockDevice;
import io.amiforge.blockdev.MemoryBlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.boot.DebianKernelFixture;
import io.amiforge.imagefmt.build.ImageBuilder;
import io.amiforge.imagefmt.partition.Partition;
import io.amiforge.imagefmt.partition.PartitionTable;
import io.amiforge.testkit.Interop;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Images built with {@code --bootloader syslinux}: a FAT boot partition made by the host's syslinux tools boots the kernel. */
@Tag("interop")
class SyslinuxBootChainTest {

    static ImageBuilder builder(byte[] kernel, byte[] initrd, String cmdline) {
        return ImageBuilder.from((Path) null).partition(ImageBuilder.PartitionScheme.MBR).boot(ImageBuilder.BootMode.HVM)
                .kernel(kernel).initrd(initrd).cmdline(cmdline).sourceDateEpoch(1_700_000_000L).bootCode(new SyslinuxBootChain());
    }

    @Test
    void theBuiltImageBootsThroughSyslinuxWithTheCommandLineAndInitrd() {
        Interop.tool("syslinux");
        Interop.tool("mcopy");
        MemoryBlockDevice disk = new MemoryBlockDevice("syslinux-built", 64L << 20);
        ImageBuilder.Result built = builder(TestKernels.foreign("6.1.0-77-fake"), new byte[30_000], null).build(disk);
        List<Partition> parts = PartitionTable.read(disk).partitions();
        assertThat(parts).extracting(Partition::index).containsExactly(1, 2);
        assertThat(parts.get(0).bootable()).isTrue();
        assertThat(parts.get(0).startLba()).isEqualTo(2048);
        assertThat(built.fsStartLba()).as("the root after the boot partition").isEqualTo(parts.get(1).startLba()).isGreaterThan(2048);
        BootReport r = HvmBoot.boot(disk, HvmBoot.Options.defaults().withMaxInstructions(100_000_000).withTimeLimit(Duration.ofSeconds(120)));
        assertThat(r.result()).as(r.error() + "\n" + r.screen()).isEqualTo(BootReport.Result.KERNEL_HANDOFF);
        assertThat(r.kernel().version()).startsWith("6.1.0-77-fake");
        assertThat(r.kernel().cmdline()).as("the default command line names partition 2 as the root")
                .isEqualTo("BOOT_IMAGE=/vmlinuz root=/dev/sda2 ro console=ttyS0 initrd=/initrd.img");
        assertThat(r.kernel().attributes()).containsEntry("ramdiskSize", 30_000L).containsEntry("typeOfLoader", 0x30);
    }

    /** Boots the raw image file {@code img} on the simulator (read-only), as QEMU will boot it. */
    static BootReport bootFile(Path img) {
        try (FileBlockDevice disk = FileBlockDevice.open(img, true)) {
            return HvmBoot.boot(disk, HvmBoot.Options.defaults().withMaxInstructions(100_000_000).withTimeLimit(Duration.ofSeconds(120)));
        }
    }

    @Test
    void theTinyKernelPrintsTheSameLinesAsOnQemu(@TempDir Path tmp) throws Exception {
        Interop.tool("syslinux");
        Interop.tool("mcopy");
        Path img = tmp.resolve("syslinux-tiny.img");
        builder(TinyKernel.bzImage(), null, "console=ttyS0 from=syslinux").buildRaw(img, 64L << 20);
        BootReport r = bootFile(img);
        assertThat(r.result()).as(r.error() + "\n" + r.screen()).isEqualTo(BootReport.Result.HALTED);
        assertThat(r.console()).contains("command line: \"BOOT_IMAGE=/vmlinuz console=ttyS0 from=syslinux\"");
        ExtlinuxBootChainTest.assertSameSerialAsQemu(r.console(), QemuSerial.boot(img, tmp.resolve("qemu-serial.txt")));
    }

    @Test
    void aRealDebianKernelIsHandedOffAsOnQemu(@TempDir Path tmp) throws Exception {
        Interop.tool("syslinux");
        Interop.tool("mcopy");
        Path vmlinuz = DebianKernelFixture.vmlinuz(DebianKernelFixture.CLOUD, tmp);
        Path img = tmp.resolve("syslinux-debian.img");
        builder(Files.readAllBytes(vmlinuz), null, "console=ttyS0 panic=-1 from=syslinux").buildRaw(img, 64L << 20);
        BootReport r = bootFile(img);
        assertThat(r.result()).as(r.error() + "\n" + r.screen()).isEqualTo(BootReport.Result.KERNEL_HANDOFF);
        assertThat(r.kernel().version()).startsWith(DebianKernelFixture.release(vmlinuz) + " (");
        assertThat(r.kernel().cmdline()).isEqualTo("BOOT_IMAGE=/vmlinuz console=ttyS0 panic=-1 from=syslinux");
        List<String> loaderLines = QemuSerial.assertSameKernelAsQemu(r, img);
        assertThat(ExtlinuxBootChainTest.comparable(r.console())).as("the loader's lines before the kernel's")
                .isEqualTo(ExtlinuxBootChainTest.comparable(String.join("\n", loaderLines)));
    }

    @Test
    void aBootPartitionNeedsAnMbrDisk() {
        MemoryBlockDevice disk = new MemoryBlockDevice("gpt", 64L << 20);
        assertThatThrownBy(() -> builder(TinyKernel.bzImage(), null, "x").partition(ImageBuilder.PartitionScheme.GPT).build(disk))
                .isInstanceOf(AmiforgeException.class).hasMessageContaining("use --partition mbr");
        assertThat(new SyslinuxBootChain().bootPartitionSectors(100L << 20, 0)).as("kernel + 4 MiB, whole MiB").isEqualTo(105 * 2048);
        assertThat(SyslinuxBootChain.syslinuxCfg("console=ttyS0", false)).contains("APPEND console=ttyS0\n").doesNotContain("INITRD");
    }
}
