package io.amiforge.boot.hvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.FileBlockDevice;
import io.amiforge.blockdev.MemoryBlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.boot.DebianKernelFixture;
import io.amiforge.imagefmt.build.ImageBuilder;
import io.amiforge.imagefmt.ext.ExtFileSystem;
import io.amiforge.imagefmt.partition.Partition;
import io.amiforge.imagefmt.partition.PartitionTable;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images built with {@code --bootloader extlinux}: the host's SYSLINUX core installed into the
 * builder's own root filesystem without mounting boots the kernel, on the simulator as on
 * QEMU + SeaBIOS, and the filesystem stays clean for {@code e2fsck}.
 */
@Tag("interop")
class ExtlinuxBootChainTest {

    static SyslinuxCore core;

    @TempDir
    Path tmp;

    @BeforeAll
    static void hostSyslinux() {
        core = hostCore();
    }

    /** The host's SYSLINUX core, after checking for the tools that take it out of a scratch FAT install. */
    static SyslinuxCore hostCore() {
        Interop.tool("syslinux");
        Interop.tool("mcopy");
        Interop.tool("mkfs.fat");
        return SyslinuxCore.fromHost();
    }

    static ImageBuilder builder(byte[] kernel, byte[] initrd, String cmdline) {
        return ImageBuilder.from((Path) null).partition(ImageBuilder.PartitionScheme.MBR).boot(ImageBuilder.BootMode.HVM)
                .kernel(kernel).initrd(initrd).cmdline(cmdline).sourceDateEpoch(1_700_000_000L).bootCode(new ExtlinuxBootChain(core));
    }

    static BootReport boot(BlockDevice disk) {
        return HvmBoot.boot(disk, HvmBoot.Options.defaults().withMaxInstructions(100_000_000).withTimeLimit(Duration.ofSeconds(120)));
    }

    /** {@code e2fsck -fn} on the root partition's bytes: exit 0 and nothing to fix. */
    static void assertCleanFilesystem(BlockDevice disk, Partition root, Path file) throws Exception {
        byte[] fs = new byte[Math.toIntExact(root.sectors() * 512)];
        disk.read(root.startLba() * 512, MemorySegment.ofArray(fs));
        Files.write(file, fs);
        Processes.Result fsck = Processes.run(List.of(Interop.tool("e2fsck").toString(), "-fn", file.toString()));
        assertThat(fsck.exitCode()).as(fsck.output()).isZero();
    }

    /**
     * Our COM1 equals QEMU's line for line except SeaBIOS's E820 map, which reserves more (ACPI
     * tables below 256 MiB, the BIOS flash below 4 GiB). In particular no {@code boot: } prompt:
     * INT 16h AH=12h answers AX=0 as SeaBIOS does (with AH left at 12h SYSLINUX took Alt as held).
     */
    static void assertSameSerialAsQemu(String ours, String qemu) {
        assertThat(comparable(ours)).isEqualTo(comparable(qemu));
    }

    static List<String> comparable(String serial) {
        return serial.lines().filter(l -> !l.startsWith("BIOS-e820: ")).toList();
    }

    @Test
    void theBuiltImageBootsThroughExtlinuxAsOnQemuAndStaysClean() throws Exception {
        Path img = tmp.resolve("extlinux-built.img");
        ImageBuilder.Result built = builder(TinyKernel.bzImage(), new byte[30_000], "console=ttyS0 from=extlinux")
                .buildRaw(img, 64L << 20);
        try (FileBlockDevice disk = FileBlockDevice.open(img, true)) {
            List<Partition> parts = PartitionTable.read(disk).partitions();
            assertThat(parts).hasSize(1);
            assertThat(parts.getFirst().bootable()).isTrue();
            assertThat(built.fsStartLba()).isEqualTo(2048);
            byte[] vbr = new byte[512];
            disk.read(2048 * 512, MemorySegment.ofArray(vbr));
            assertThat(new String(vbr, 3, 8, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("SYSLINUX");
            assertCleanFilesystem(disk, parts.getFirst(), tmp.resolve("root.ext2"));
            BootReport r = boot(disk);
            assertThat(r.result()).as(r.error() + "\n" + r.screen()).isEqualTo(BootReport.Result.HALTED);
            assertThat(r.console()).contains("SYSLINUX 6.04 ", "Loading /boot/vmlinuz... ok", "Loading /boot/initrd.img...ok",
                    "command line: \"BOOT_IMAGE=/boot/vmlinuz console=ttyS0 from=extlinux initrd=/boot/initrd.img\"",
                    "amiforge tiny kernel: halting");
            assertThat(r.stages()).extracting(BootReport.Stage::name).containsSubsequence("MBR loaded", "VBR loaded");
            assertThat(r.diskReads().get(1).lba()).as("mbr.bin reads the root partition's first sector").isEqualTo(2048L);
            assertSameSerialAsQemu(r.console(), QemuSerial.boot(img, tmp.resolve("qemu-serial.txt")));
        }
    }

    @Test
    void aForeignKernelIsHandedTheConfigsCommandLine() {
        MemoryBlockDevice disk = new MemoryBlockDevice("extlinux-foreign", 64L << 20);
        builder(TestKernels.foreign("6.1.0-55-fake"), null, null).build(disk);
        BootReport r = boot(disk);
        assertThat(r.result()).as(r.error() + "\n" + r.screen()).isEqualTo(BootReport.Result.KERNEL_HANDOFF);
        assertThat(r.kernel().version()).startsWith("6.1.0-55-fake");
        assertThat(r.kernel().cmdline()).as("the builder's default command line")
                .isEqualTo("BOOT_IMAGE=/boot/vmlinuz root=/dev/sda1 ro console=ttyS0");
        assertThat(r.kernel().attributes()).containsEntry("bootProtocol", "2.10").containsKey("typeOfLoader");
    }

    @Test
    void withOneKibBlocksTheLoadersZeroBlockIsStillAllocatedAndTheImageBoots() throws Exception {
        MemoryBlockDevice disk = new MemoryBlockDevice("extlinux-1k", 32L << 20);
        builder(TinyKernel.bzImage(), null, "console=ttyS0 blocks=1k").blockSize(1024).build(disk);
        Partition root = PartitionTable.read(disk).partitions().getFirst();
        ExtFileSystem ext = ExtFileSystem.open(PartitionTable.open(disk, root));
        assertThat(ext.superblock().blockSize()).isEqualTo(1024);
        List<long[]> runs = ext.openFile(ExtlinuxBootChain.DIR + "/ldlinux.sys").runs();
        assertThat(runs.stream().mapToLong(run -> run[2]).sum()).as("every block allocated, the all-zero one included")
                .isEqualTo((core.ldlinuxSys().length + 1023) / 1024);
        assertThat(runs.getLast()[1] + runs.getLast()[2] - runs.getFirst()[1]).as("in one run: " + runs.stream()
                .map(java.util.Arrays::toString).toList()).isEqualTo((core.ldlinuxSys().length + 1023) / 1024);
        assertCleanFilesystem(disk, root, tmp.resolve("root-1k.ext2"));
        BootReport r = boot(disk);
        assertThat(r.result()).as(r.error() + "\n" + r.screen()).isEqualTo(BootReport.Result.HALTED);
        assertThat(r.console()).contains("command line: \"BOOT_IMAGE=/boot/vmlinuz console=ttyS0 blocks=1k\"");
    }

    @Test
    void aRealDebianKernelIsHandedOffWithItsVersionAndCommandLineAsOnQemu() throws Exception {
        Path vmlinuz = DebianKernelFixture.vmlinuz(DebianKernelFixture.CLOUD, tmp);
        String release = DebianKernelFixture.release(vmlinuz);
        Path img = tmp.resolve("extlinux-debian.img");
        builder(Files.readAllBytes(vmlinuz), null, "console=ttyS0 panic=-1 from=extlinux").buildRaw(img, 64L << 20);
        BootReport r;
        try (FileBlockDevice disk = FileBlockDevice.open(img, true)) {
            r = boot(disk);
        }
        assertThat(r.result()).as(r.error() + "\n" + r.screen()).isEqualTo(BootReport.Result.KERNEL_HANDOFF);
        assertThat(r.kernel().version()).startsWith(release + " (").contains("Debian");
        String cmdline = "BOOT_IMAGE=/boot/vmlinuz console=ttyS0 panic=-1 from=extlinux";
        assertThat(r.kernel().cmdline()).isEqualTo(cmdline);

        List<String> loaderLines = QemuSerial.assertSameKernelAsQemu(r, img);
        assertThat(comparable(r.console())).as("SYSLINUX's lines before the kernel's").isEqualTo(loaderLines);
    }

    @Test
    void onlyAnMbrDiskWithTheLoaderFilesIsInstalled() {
        MemoryBlockDevice gpt = new MemoryBlockDevice("extlinux-gpt", 64L << 20);
        assertThatThrownBy(() -> builder(TinyKernel.bzImage(), null, "x").partition(ImageBuilder.PartitionScheme.GPT).build(gpt))
                .isInstanceOf(AmiforgeException.class).hasMessageContaining("use --partition mbr");
        MemoryBlockDevice plain = new MemoryBlockDevice("extlinux-amiforge", 64L << 20);
        ImageBuilder.from((Path) null).partition(ImageBuilder.PartitionScheme.MBR).boot(ImageBuilder.BootMode.HVM)
                .kernel(TinyKernel.bzImage()).sourceDateEpoch(1_700_000_000L).bootCode(new AmiforgeBootChain()).build(plain);
        Partition root = PartitionTable.read(plain).partitions().getFirst();
        assertThatThrownBy(() -> ExtlinuxInstaller.install(plain, root, ExtlinuxBootChain.DIR, core))
                .isInstanceOf(AmiforgeException.class).hasMessageContaining("/boot/extlinux/ldlinux.sys");
        MemoryBlockDevice blank = new MemoryBlockDevice("extlinux-blank", 8L << 20);
        Partition nothing = new Partition(1, 2048, 8192, "83", "", true);
        assertThatThrownBy(() -> ExtlinuxInstaller.install(blank, nothing, "/", core)).isInstanceOf(AmiforgeException.class)
                .hasMessageContaining("no ext2/3/4 superblock (magic 0x0000 at byte 1080, expected 0xEF53)");
        assertThat(ExtlinuxBootChain.extlinuxConf("console=ttyS0", false)).contains("  KERNEL /boot/vmlinuz\n  APPEND console=ttyS0\n")
                .doesNotContain("INITRD");
    }
}
