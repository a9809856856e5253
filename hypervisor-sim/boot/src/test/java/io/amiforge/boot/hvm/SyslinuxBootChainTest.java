package io.amiforge.boot.hvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.MemoryBlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.imagefmt.build.ImageBuilder;
import io.amiforge.imagefmt.partition.Partition;
import io.amiforge.imagefmt.partition.PartitionTable;
import io.amiforge.testkit.Interop;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Images built with {@code --bootloader syslinux}: a FAT boot partition made by the host's syslinux tools boots the kernel. */
@Tag("interop")
class SyslinuxBootChainTest {

    static ImageBuilder builder(byte[] kernel, byte[] initrd, String cmdline) {
        return ImageBuilder.from((java.nio.file.Path) null).partition(ImageBuilder.PartitionScheme.MBR).boot(ImageBuilder.BootMode.HVM)
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

    @Test
    void aBootPartitionNeedsAnMbrDisk() {
        MemoryBlockDevice disk = new MemoryBlockDevice("gpt", 64L << 20);
        assertThatThrownBy(() -> builder(TinyKernel.bzImage(), null, "x").partition(ImageBuilder.PartitionScheme.GPT).build(disk))
                .isInstanceOf(AmiforgeException.class).hasMessageContaining("use --partition mbr");
        assertThat(new SyslinuxBootChain().bootPartitionSectors(100L << 20, 0)).as("kernel + 4 MiB, whole MiB").isEqualTo(105 * 2048);
        assertThat(SyslinuxBootChain.syslinuxCfg("console=ttyS0", false)).contains("APPEND console=ttyS0\n").doesNotContain("INITRD");
    }
}
