package io.amiforge.boot.pv;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.MemoryBlockDevice;
import io.amiforge.boot.BootReport;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PvGrubTest {

    static final BlockDevice DISK = new MemoryBlockDevice("vol-test", 1 << 20);
    static final BlockDevice PART0 = new MemoryBlockDevice("vol-test p1", 1 << 16);
    static final BlockDevice PART1 = new MemoryBlockDevice("vol-test p2", 1 << 16);

    static BootReport bootWhole(InMemoryGuestFileSystem fs) {
        return PvGrub.boot(DISK, new PvBootOptions(PvBootOptions.Architecture.X86_64, 512, d -> List.of(),
                d -> d == DISK ? fs : null));
    }

    static BootReport bootPartitioned(InMemoryGuestFileSystem p0, InMemoryGuestFileSystem p1) {
        return PvGrub.boot(DISK, new PvBootOptions(PvBootOptions.Architecture.X86_64, 512, d -> List.of(PART0, PART1), d -> {
            if (d == PART0) {
                return p0;
            }
            if (d == PART1) {
                return p1;
            }
            throw new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidFileSystem", "no ext2 superblock on " + d.name());
        }));
    }

    static InMemoryGuestFileSystem volume(String menu) {
        return new InMemoryGuestFileSystem()
                .file("/boot/grub/menu.lst", menu)
                .file("/boot/vmlinuz-tiny", TinyPvKernel.elf("1.0 (test@amiforge) #1"))
                .file("/boot/initrd-tiny.img", new byte[10_000]);
    }

    @Test
    void bootsTheTinyKernelFromAnUnpartitionedVolume() {
        BootReport r = bootWhole(volume("""
                default 0
                timeout 3
                title amiforge tiny
                root (hd0)
                kernel /boot/vmlinuz-tiny root=/dev/xvda1 console=hvc0
                initrd /boot/initrd-tiny.img
                """));
        assertThat(r.error()).isNull();
        assertThat(r.mode()).isEqualTo("pv");
        assertThat(r.result()).isEqualTo(BootReport.Result.KERNEL_HANDOFF);
        assertThat(r.kernel().version()).isEqualTo("Linux version amiforge-pv 1.0 (test@amiforge) #1");
        assertThat(r.kernel().cmdline()).isEqualTo("root=/dev/xvda1 console=hvc0");
        assertThat(r.kernel().format()).isEqualTo("elf64");
        assertThat(r.kernel().path()).isEqualTo("(hd0)/boot/vmlinuz-tiny");
        assertThat(r.kernel().attributes()).containsEntry("entry", "0xffffffff80100000");
        @SuppressWarnings("unchecked")
        Map<String, Object> notes = (Map<String, Object>) r.kernel().attributes().get("xenNotes");
        assertThat(notes).containsEntry("GUEST_OS", "linux").containsEntry("XEN_VERSION", "xen-3.0")
                .containsEntry("LOADER", "generic").containsEntry("HYPERCALL_PAGE", "0xffffffff80101000");
        assertThat(r.console()).contains("  Booting 'amiforge tiny'", "root (hd0)", " Filesystem type is ext2fs, using whole disk",
                "kernel /boot/vmlinuz-tiny root=/dev/xvda1 console=hvc0", "   [Xen-ELF64, entry=0xffffffff80100000, size=0x2000]",
                "initrd /boot/initrd-tiny.img", "   [Linux-initrd @ 0x102000, 0x2710 bytes]");
        assertThat(r.details()).containsEntry("bootedEntry", 0);
        @SuppressWarnings("unchecked")
        Map<String, Object> si = (Map<String, Object>) r.details().get("startInfo");
        assertThat(si).containsEntry("magic", "xen-3.0-x86_64").containsEntry("nr_pages", 131072L)
                .containsEntry("mod_start", "0xffffffff80102000").containsEntry("mod_len", 10_000L)
                .containsEntry("cmd_line", "root=/dev/xvda1 console=hvc0").containsEntry("cmd_line_truncated", false);
        assertThat(r.stages()).extracting(BootReport.Stage::name).startsWith("PV-GRUB started", "root device", "menu.lst read")
                .endsWith("kernel-handoff");
    }

    @Test
    void followsMenuLstSymlinkToGrubConfAsOnAmazonLinux() {
        InMemoryGuestFileSystem fs = volume("").symlink("/boot/grub/menu.lst", "grub.conf");
        fs.file("/boot/grub/grub.conf", "title al\nroot (hd0,0)\nkernel /boot/vmlinuz-tiny ro\n");
        BootReport r = bootPartitioned(fs, null);
        assertThat(r.result()).isEqualTo(BootReport.Result.KERNEL_HANDOFF);
        assertThat(r.stages()).anySatisfy(s -> assertThat(s.detail()).contains("/boot/grub/menu.lst -> grub.conf"));
        assertThat(r.kernel().path()).isEqualTo("(hd0,0)/boot/vmlinuz-tiny");
        assertThat(r.console()).contains("partition 0");
    }

    @Test
    void partitionRootOnUnpartitionedVolumeFailsPlainlyAndFallsBack() {
        BootReport r = bootWhole(volume("""
                default 0
                fallback 1
                title wrong root
                root (hd0,0)
                kernel /boot/vmlinuz-tiny
                title right root
                root (hd0)
                kernel /boot/vmlinuz-tiny
                """));
        assertThat(r.result()).isEqualTo(BootReport.Result.KERNEL_HANDOFF);
        assertThat(r.details()).containsEntry("bootedEntry", 1);
        assertThat(r.console()).contains("Error 22: No such partition", "Falling back to entry 1", "Booting 'right root'");
        assertThat(r.details().get("entries").toString())
                .contains("menu.lst line 4: Error 22: No such partition: menu.lst says root (hd0,0) but the volume has no "
                        + "partition table; use root (hd0)");
    }

    @Test
    void wholeDiskRootOnPartitionedVolumeFails() {
        InMemoryGuestFileSystem p0 = volume("title t\nroot (hd0)\nkernel /boot/vmlinuz-tiny\n");
        BootReport r = bootPartitioned(p0, null);
        assertThat(r.result()).isEqualTo(BootReport.Result.FAILED);
        assertThat(r.error()).contains("menu.lst line 2", "Error 17: Cannot mount selected partition",
                "menu.lst says root (hd0) but the volume has a partition table (2 partition(s)); use root (hd0,0)");
        assertThat(r.kernel()).isNull();
    }

    @Test
    void secondPartitionAndMissingPartition() {
        InMemoryGuestFileSystem p0 = new InMemoryGuestFileSystem().file("/boot/grub/menu.lst",
                "title p2\nroot (hd0,1)\nkernel /vmlinuz quiet\ntitle p5\nroot (hd0,4)\nkernel /vmlinuz\n");
        InMemoryGuestFileSystem p1 = new InMemoryGuestFileSystem().file("/vmlinuz", TinyPvKernel.elf("p2"));
        assertThat(bootPartitioned(p0, p1).kernel().path()).isEqualTo("(hd0,1)/vmlinuz");
        p0.file("/boot/grub/menu.lst", "default 1\ntitle p2\nroot (hd0,1)\nkernel /vmlinuz quiet\ntitle p5\nroot (hd0,4)\nkernel /vmlinuz\n");
        BootReport r = bootPartitioned(p0, p1);
        assertThat(r.result()).isEqualTo(BootReport.Result.FAILED);
        assertThat(r.error()).contains("only 2 partition(s)");
    }

    @Test
    void wrongBitnessFailsAndFallsBackToTheMatchingKernel() {
        InMemoryGuestFileSystem fs = volume("fallback=1\ntitle 32-bit\nkernel /boot/vmlinuz-32\ntitle 64-bit\nkernel /boot/vmlinuz-tiny\n")
                .file("/boot/vmlinuz-32", TinyPvKernel.elf32("i386"));
        BootReport r = bootWhole(fs);
        assertThat(r.result()).isEqualTo(BootReport.Result.KERNEL_HANDOFF);
        assertThat(r.details()).containsEntry("bootedEntry", 1);
        assertThat(r.details().get("entries").toString()).contains("the kernel is 32-bit (ELF32, e_machine 3) but the instance is x86_64");

        BootReport i386 = PvGrub.boot(DISK, new PvBootOptions(PvBootOptions.Architecture.I386, 256, d -> List.of(), d -> fs));
        assertThat(i386.result()).isEqualTo(BootReport.Result.KERNEL_HANDOFF);
        assertThat(i386.details()).containsEntry("bootedEntry", 0);
        @SuppressWarnings("unchecked")
        Map<String, Object> si = (Map<String, Object>) i386.details().get("startInfo");
        assertThat(si).containsEntry("magic", "xen-3.0-x86_32p").containsEntry("nr_pages", 65536L);
        assertThat(i386.kernel().attributes()).containsEntry("entry", "0xc0100000");
    }

    @Test
    void kernelWithoutHypercallPageStillBoots() {
        InMemoryGuestFileSystem fs = volume("title t\nkernel /boot/k\n").file("/boot/k", TinyPvKernel.elf("nohc", false));
        BootReport r = bootWhole(fs);
        assertThat(r.result()).isEqualTo(BootReport.Result.KERNEL_HANDOFF);
        assertThat(r.kernel().attributes().get("xenNotes").toString()).doesNotContain("HYPERCALL_PAGE");
    }

    @Test
    void savedDefaultIsReadFromBootGrubDefault() {
        InMemoryGuestFileSystem fs = volume("default saved\ntitle a\nkernel /nope\ntitle b\nkernel /boot/vmlinuz-tiny\n")
                .file("/boot/grub/default", "1\n# comment\n");
        BootReport r = bootWhole(fs);
        assertThat(r.details()).containsEntry("bootedEntry", 1);
        assertThat(r.stages()).anySatisfy(s -> assertThat(s.detail()).contains("/boot/grub/default says 1"));
    }

    @Test
    void longCommandLineIsTruncatedTo1023BytesAndReported() {
        String args = "x".repeat(2000);
        BootReport r = bootWhole(volume("title t\nkernel /boot/vmlinuz-tiny " + args + "\n"));
        assertThat(r.kernel().cmdline()).hasSize(StartInfo.MAX_GUEST_CMDLINE - 1);
        @SuppressWarnings("unchecked")
        Map<String, Object> si = (Map<String, Object>) r.details().get("startInfo");
        assertThat(si).containsEntry("cmd_line_truncated", true);
        assertThat(r.stages()).anySatisfy(s -> assertThat(s.detail()).contains("command line truncated to 1023 bytes"));
    }

    @Test
    void hiddenMenuShowsNoMenuAndVisibleMenuMarksTheDefault() {
        BootReport visible = bootWhole(volume("default 1\ntimeout 2\ntitle a\nkernel /boot/vmlinuz-tiny\ntitle b\nkernel /boot/vmlinuz-tiny\n"));
        assertThat(visible.console()).contains("   a\n * b\n", "booted automatically in 2 seconds");
        BootReport hidden = bootWhole(volume("hiddenmenu\ntitle a\nkernel /boot/vmlinuz-tiny\n"));
        assertThat(hidden.console()).doesNotContain(" * a");
    }

    @Test
    void startInfoPageHasXenHLayout() {
        byte[] elf = TinyPvKernel.elf("layout");
        KernelImage k = KernelImage.read("/k", elf, 1 << 20);
        DomainBuilder.Domain d = DomainBuilder.build(k, new byte[5000], "/i", "console=hvc0", PvBootOptions.Architecture.X86_64, 64);
        long pseudo = d.startInfoVirtual() - d.virtBase();
        ByteBuffer p = ByteBuffer.wrap(d.memory().read(pseudo, 4096)).order(ByteOrder.LITTLE_ENDIAN);
        // struct start_info (xen/include/public/xen.h), x86_64: magic[32], nr_pages @32, shared_info @40, flags @48,
        // store_mfn @56, store_evtchn @64, console.domU.mfn @72, evtchn @80, pt_base @88, nr_pt_frames @96,
        // mfn_list @104, mod_start @112, mod_len @120, cmd_line[1024] @128.
        assertThat(new String(d.memory().read(pseudo, 14))).isEqualTo("xen-3.0-x86_64");
        assertThat(p.getLong(32)).isEqualTo(64L * 256);
        assertThat(p.getLong(112)).isEqualTo(d.virtBase() + 0x102000);
        assertThat(p.getLong(120)).isEqualTo(5000);
        assertThat(new String(d.memory().read(pseudo + 128, 12))).isEqualTo("console=hvc0");
        assertThat(p.get(128 + 12)).isZero();
        assertThat(p.getLong(88)).isEqualTo(d.startInfo().ptBase());
        // The kernel's code is at its p_paddr (1 MiB), the banner 0x80 bytes in.
        assertThat(new String(d.memory().read(TinyPvKernel.LOAD_PADDR + 0x80, 25))).isEqualTo("Linux version amiforge-pv");
        assertThat(d.regions()).extracting(DomainBuilder.Region::name)
                .containsExactly("kernel segment 0", "initrd /i", "p2m list", "start_info", "xenstore ring", "console ring",
                        "page tables", "boot stack");
    }
}
