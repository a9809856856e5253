package io.amiforge.boot.pv;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.FileBlockDevice;
import io.amiforge.blockdev.MemoryBlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.boot.DebianKernelFixture;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PV-boots a real Debian kernel (the pinned {@link DebianKernelFixture#GENERIC} kernel) from an
 * ext4 image made by {@code mke2fs -d}, read back through {@code debugfs}: the way an AWS PV AMI
 * carries its kernel. Debian 6.1's generic bzImage payload is xz with the x86 BCJ filter; its Xen
 * notes are only visible after decompression.
 */
@Tag("interop")
class DebianKernelInteropTest {

    @TempDir
    static Path work;
    static Path vmlinuz;
    static String kernelRelease;

    @BeforeAll
    static void unpackKernel() throws IOException {
        Interop.tool("mke2fs");
        Interop.tool("debugfs");
        vmlinuz = DebianKernelFixture.vmlinuz(DebianKernelFixture.GENERIC, work);
        kernelRelease = DebianKernelFixture.release(vmlinuz);
    }

    private Path rootTree(String name, boolean symlinkMenu) throws IOException {
        return rootTree(name, symlinkMenu, "(hd0)");
    }

    private Path rootTree(String name, boolean symlinkMenu, String rootDevice) throws IOException {
        Path root = Files.createDirectories(work.resolve(name).resolve("boot/grub"));
        Files.copy(vmlinuz, root.resolveSibling("vmlinuz-" + kernelRelease));
        byte[] initrd = new byte[1_000_000];
        new java.util.Random(7).nextBytes(initrd);
        Files.write(root.resolveSibling("initrd.img-" + kernelRelease), initrd);
        String menu = """
                default 0
                fallback 1
                timeout 1
                hiddenmenu

                title Debian GNU/Linux, kernel %s
                root %s
                kernel /boot/vmlinuz-%s root=/dev/xvda1 ro console=hvc0
                initrd /boot/initrd.img-%s
                """.formatted(kernelRelease, rootDevice, kernelRelease, kernelRelease);
        if (symlinkMenu) {
            Files.writeString(root.resolve("grub.conf"), menu);
            Files.createSymbolicLink(root.resolve("menu.lst"), Path.of("grub.conf"));
        } else {
            Files.writeString(root.resolve("menu.lst"), menu);
        }
        return work.resolve(name);
    }

    private BootReport boot(Path image) {
        Path debugfs = Interop.tool("debugfs");
        try (BlockDevice disk = FileBlockDevice.open(image, true)) {
            return PvGrub.boot(disk, new PvBootOptions(PvBootOptions.Architecture.X86_64, 1024, d -> List.of(),
                    d -> new DebugfsGuestFileSystem(debugfs, image, 0)));
        }
    }

    private void assertDebianHandoff(BootReport r) {
        assertThat(r.error()).isNull();
        assertThat(r.result()).isEqualTo(BootReport.Result.KERNEL_HANDOFF);
        assertThat(r.kernel().format()).isEqualTo("bzImage");
        assertThat(r.kernel().version()).startsWith("Linux version " + kernelRelease + " (debian-kernel@lists.debian.org)");
        assertThat(r.kernel().cmdline()).isEqualTo("root=/dev/xvda1 ro console=hvc0");
        assertThat(r.kernel().attributes()).containsEntry("compression", "xz").containsEntry("elfClass", "ELF64")
                .containsEntry("xenNotesSource", "ELF notes");
        @SuppressWarnings("unchecked")
        Map<String, Object> notes = (Map<String, Object>) r.kernel().attributes().get("xenNotes");
        assertThat(notes).containsEntry("GUEST_OS", "linux").containsEntry("XEN_VERSION", "xen-3.0")
                .containsEntry("VIRT_BASE", "0xffffffff80000000").containsKey("ENTRY");
        assertThat(r.console()).contains("kernel /boot/vmlinuz-" + kernelRelease + " root=/dev/xvda1 ro console=hvc0")
                .containsPattern("\\[Linux-bzImage, setup=0x[0-9a-f]+, size=0x[0-9a-f]+]");
    }

    @Test
    void pvBootsDebianKernelFromExt4Image() throws IOException {
        Path root = rootTree("plain", false);
        Path image = work.resolve("plain.img");
        Processes.run(List.of(Interop.tool("mke2fs").toString(), "-q", "-F", "-t", "ext4", "-d", root.toString(),
                image.toString(), "64M")).orFail();
        BootReport r = boot(image);
        assertDebianHandoff(r);
        @SuppressWarnings("unchecked")
        Map<String, Object> notes = (Map<String, Object>) r.kernel().attributes().get("xenNotes");
        // The ENTRY note is the virtual address execution starts at.
        assertThat(r.kernel().attributes()).containsEntry("entry", notes.get("ENTRY"));
        // The decompressed ELF is as long as the size the kernel build appended to the payload.
        byte[] file = Files.readAllBytes(vmlinuz);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(file).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int payloadEnd = ((file[0x1f1] & 0xff) + 1) * 512 + b.getInt(0x248) + b.getInt(0x24c);
        assertThat(r.kernel().attributes()).containsEntry("decompressedSize", b.getInt(payloadEnd - 4))
                .doesNotContainKey("sizeTrailerMismatch");
        // Linux asks for its p2m list at INIT_P2M, outside the kernel mapping.
        @SuppressWarnings("unchecked")
        Map<String, Object> si = (Map<String, Object>) r.details().get("startInfo");
        assertThat(si).containsEntry("mfn_list", notes.get("INIT_P2M"));
        // Linux sets MOD_START_PFN, so mod_start is the initrd's page frame and SIF_MOD_START_PFN is set.
        assertThat(notes).containsEntry("MOD_START_PFN", "0x1");
        assertThat(si).containsEntry("flags", "0x8").containsEntry("mod_len", 1_000_000L);
        assertThat(r.console()).containsPattern("initrd /boot/initrd.img-" + kernelRelease.replace(".", "\\.")
                + "\n   \\[Linux-initrd @ 0x[0-9a-f]+, 0xf4240 bytes]");
    }

    @Test
    void followsMenuLstSymlinkToGrubConfOnExt4() throws IOException {
        Path root = rootTree("symlinked", true);
        Path image = work.resolve("symlinked.img");
        Processes.run(List.of(Interop.tool("mke2fs").toString(), "-q", "-F", "-t", "ext4", "-d", root.toString(),
                image.toString(), "64M")).orFail();
        BootReport r = boot(image);
        assertDebianHandoff(r);
        assertThat(r.stages()).anySatisfy(s -> assertThat(s.detail()).contains("/boot/grub/menu.lst -> grub.conf"));
    }

    @Test
    void partitionedVolumeBootsFromHd00() throws IOException {
        Path root = rootTree("partitioned-ok", false, "(hd0,0)");
        Path image = work.resolve("partitioned-ok.img");
        long offset = 1 << 20;
        Processes.run(List.of(Interop.tool("mke2fs").toString(), "-q", "-F", "-t", "ext4", "-d", root.toString(),
                "-E", "offset=" + offset, image.toString(), "64M")).orFail();
        Path debugfs = Interop.tool("debugfs");
        BlockDevice part = new MemoryBlockDevice("partition 1", 4096);
        try (BlockDevice disk = FileBlockDevice.open(image, true)) {
            BootReport r = PvGrub.boot(disk, new PvBootOptions(PvBootOptions.Architecture.X86_64, 1024, d -> List.of(part),
                    d -> new DebugfsGuestFileSystem(debugfs, image, offset)));
            assertDebianHandoff(r);
            assertThat(r.kernel().path()).isEqualTo("(hd0,0)/boot/vmlinuz-" + kernelRelease);
        }
    }

    @Test
    void partitionedVolumeNeedsHd00() throws IOException {
        Path root = rootTree("partitioned", false);
        Path image = work.resolve("partitioned.img");
        long offset = 1 << 20;
        Processes.run(List.of(Interop.tool("mke2fs").toString(), "-q", "-F", "-t", "ext4", "-d", root.toString(),
                "-E", "offset=" + offset, image.toString(), "64M")).orFail();
        Path debugfs = Interop.tool("debugfs");
        BlockDevice part = new MemoryBlockDevice("partition 1", 4096);
        try (BlockDevice disk = FileBlockDevice.open(image, true)) {
            BootReport r = PvGrub.boot(disk, new PvBootOptions(PvBootOptions.Architecture.X86_64, 1024, d -> List.of(part),
                    d -> new DebugfsGuestFileSystem(debugfs, image, offset)));
            assertThat(r.result()).isEqualTo(BootReport.Result.FAILED);
            assertThat(r.error()).contains("menu.lst says root (hd0) but the volume has a partition table (1 partition(s)); use root (hd0,0)");
        }
    }
}
