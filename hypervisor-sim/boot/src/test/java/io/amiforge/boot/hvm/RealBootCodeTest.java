package io.amiforge.boot.hvm;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.FileBlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import io.amiforge.x86.bios.DiskRead;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Debian's real boot code (syslinux mbr.bin, GRUB boot.img/core.img) running in the simulator. */
@Tag("interop")
class RealBootCodeTest {

    static final Path SYSLINUX_MBR = Path.of("/usr/lib/syslinux/mbr/mbr.bin");
    static final Path GRUB_DIR = Path.of("/usr/lib/grub/i386-pc");

    @TempDir
    Path tmp;

    static final String VBR = """
            bits 16
            org 0x7c00
                xor ax, ax
                mov ds, ax
                mov si, msg
            p:  lodsb
                or al, al
                jz h
                mov ah, 0x0e
                int 0x10
                jmp p
            h:  cli
                hlt
            msg: db "VBR from the active partition, DL=", 0
            times 510 - ($ - $$) db 0
            dw 0xaa55
            """;

    Path partitionedImage(String name, boolean active) throws Exception {
        Path sfdisk = Interop.tool("sfdisk");
        Path img = tmp.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.setLength(8L << 20);
        }
        String script = "label: dos\nlabel-id: 0x1234abcd\nstart=2048, size=8192, type=83" + (active ? ", bootable" : "")
                + "\nstart=10240, type=83\n";
        Path scriptFile = tmp.resolve(name + ".sfdisk");
        Files.writeString(scriptFile, script);
        Processes.command(sfdisk.toString(), "--no-reread", "--no-tell-kernel", img.toString()).input(scriptFile).run()
                .orFail();
        return img;
    }

    static void writeAt(Path img, long offset, byte[] bytes, int len) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.seek(offset);
            f.write(bytes, 0, len);
        }
    }

    static BootReport boot(Path img) {
        try (FileBlockDevice d = FileBlockDevice.open(img, true)) {
            return HvmBoot.boot(d, HvmBoot.Options.defaults().withMaxInstructions(50_000_000)
                    .withTimeLimit(java.time.Duration.ofSeconds(120)));
        }
    }

    @Test
    void syslinuxMbrChainsToTheActivePartitionsVbr() throws Exception {
        Interop.file(SYSLINUX_MBR, "syslinux-common's mbr.bin");
        Path img = partitionedImage("active.img", true);
        writeAt(img, 0, Files.readAllBytes(SYSLINUX_MBR), 440);
        writeAt(img, 2048L * 512, Nasm.assemble(tmp, "vbr", VBR), 512);
        BootReport r = boot(img);
        assertThat(r.result()).as(r.error() + "\n" + r.console()).isEqualTo(BootReport.Result.HALTED);
        assertThat(r.screen().text()).isEqualTo("VBR from the active partition, DL=");
        assertThat(r.diskReads()).extracting(DiskRead::lba).containsExactly(0L, 2048L);
        assertThat(r.stages()).extracting(BootReport.Stage::name).contains("VBR loaded");
    }

    @Test
    void syslinuxMbrWithoutActivePartitionPrintsItsOwnError() throws Exception {
        Interop.file(SYSLINUX_MBR, "syslinux-common's mbr.bin");
        Path img = partitionedImage("inactive.img", false);
        writeAt(img, 0, Files.readAllBytes(SYSLINUX_MBR), 440);
        BootReport r = boot(img);
        assertThat(r.result()).isEqualTo(BootReport.Result.FAILED);
        assertThat(r.screen().text()).startsWith("Missing operating system.");
        assertThat(r.error()).contains("INT 18h");
    }

    @Test
    void grubBootImgLoadsTheNextStageFromLba1() throws Exception {
        Path bootImg = Interop.file(GRUB_DIR.resolve("boot.img"), "grub-pc-bin's boot.img");
        Path img = partitionedImage("grub.img", true);
        installBootImg(img, Files.readAllBytes(bootImg));
        byte[] stage = Nasm.assemble(tmp, "stage", """
                bits 16
                org 0x8000
                    xor ax, ax
                    mov ds, ax
                    mov si, msg
                p:  lodsb
                    or al, al
                    jz h
                    mov ah, 0x0e
                    int 0x10
                    jmp p
                h:  cli
                    hlt
                msg: db "next stage from LBA 1 running", 0
                times 512 - ($ - $$) db 0
                """);
        writeAt(img, 512, stage, 512);
        BootReport r = boot(img);
        assertThat(r.result()).as(r.error() + "\n" + r.console()).isEqualTo(BootReport.Result.HALTED);
        assertThat(r.screen().text()).endsWith("next stage from LBA 1 running");
        assertThat(r.diskReads()).extracting(DiskRead::lba).containsExactly(0L, 1L);
    }

    @Test
    void grubBootImgReportsItsOwnErrorForASectorBeyondTheDisk() throws Exception {
        Path bootImg = Interop.file(GRUB_DIR.resolve("boot.img"), "grub-pc-bin's boot.img");
        Path img = partitionedImage("grubbad.img", true);
        installBootImg(img, Files.readAllBytes(bootImg));
        byte[] lba = new byte[8];
        long beyond = 1L << 32;
        for (int i = 0; i < 8; i++) {
            lba[i] = (byte) (beyond >>> (8 * i));
        }
        writeAt(img, 0x5C, lba, 8);
        BootReport r = boot(img);
        // the LBA read fails (AH=04h), boot.img falls back to CHS, finds the sector outside the
        // geometry, prints its error and calls INT 18h, as on real hardware
        assertThat(r.screen().text()).isEqualTo("GRUB Geom Error\nNo bootable device.");
        assertThat(r.result()).isEqualTo(BootReport.Result.FAILED);
        assertThat(r.diskReads()).extracting(DiskRead::lba).containsExactly(0L, beyond);
    }

    @Test
    void grubCoreImgWithoutItsFilesystemEndsAtTheRescuePrompt() throws Exception {
        Path mkimage = Interop.tool("grub-mkimage");
        Path bootImg = Interop.file(GRUB_DIR.resolve("boot.img"), "grub-pc-bin's boot.img");
        Path core = tmp.resolve("core.img");
        Processes.run(List.of(mkimage.toString(), "-O", "i386-pc", "-d", GRUB_DIR.toString(), "-o", core.toString(),
                "-p", "(hd0,msdos1)/boot/grub", "biosdisk", "part_msdos", "ext2", "echo", "minicmd")).orFail();
        byte[] coreBytes = Files.readAllBytes(core);
        assertThat(coreBytes.length).isLessThan(2047 * 512);
        // as grub-bios-setup: the blocklist in diskboot.img (core.img's first sector) starts at LBA 2
        long start = 2;
        for (int i = 0; i < 8; i++) {
            coreBytes[0x1F4 + i] = (byte) (start >>> (8 * i));
        }
        Path img = partitionedImage("grubcore.img", true);
        installBootImg(img, Files.readAllBytes(bootImg));
        writeAt(img, 512, coreBytes, coreBytes.length);
        BootReport r = boot(img);
        assertThat(r.result()).as("its error on the screen, polling INT 16h for a key at its prompt").isEqualTo(BootReport.Result.FAILED);
        assertThat(r.error()).contains("error: unknown filesystem.");
        assertThat(r.screen().text()).as("the partition holds no filesystem: GRUB says so in protected mode")
                .startsWith("GRUB loading.").contains("Welcome to GRUB!", "error: unknown filesystem.", "grub rescue>");
        int sectors = (coreBytes.length + 511) / 512;
        assertThat(r.diskReads().stream().filter(d -> d.lba() >= 1 && d.lba() <= sectors).mapToLong(DiskRead::sectors).sum())
                .as("boot.img + diskboot.img read all of core.img").isEqualTo(sectors);
    }

    /** An image as grub-install leaves it: boot.img, core.img at LBA 1, an ext2 partition 1 with {@code files}. */
    Path grubDisk(String name, Map<String, byte[]> files, String... modules) throws Exception {
        Path core = tmp.resolve(name + "-core.img");
        List<String> mk = new java.util.ArrayList<>(List.of(Interop.tool("grub-mkimage").toString(), "-O", "i386-pc",
                "-d", GRUB_DIR.toString(), "-o", core.toString(), "-p", "(hd0,msdos1)/boot/grub"));
        mk.addAll(List.of(modules));
        Processes.run(mk).orFail();
        byte[] coreBytes = Files.readAllBytes(core);
        for (int i = 0; i < 8; i++) {
            coreBytes[0x1F4 + i] = (byte) (i == 0 ? 2 : 0);
        }
        Path root = tmp.resolve(name + "-root");
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            Path p = root.resolve(f.getKey());
            Files.createDirectories(p.getParent());
            Files.write(p, f.getValue());
        }
        Path fs = tmp.resolve(name + "-fs.img");
        Processes.run(List.of(Interop.tool("mke2fs").toString(), "-q", "-F", "-t", "ext2", "-b", "1024", "-d",
                root.toString(), fs.toString(), "4096")).orFail();
        Path img = partitionedImage(name, true);
        installBootImg(img, Files.readAllBytes(Interop.file(GRUB_DIR.resolve("boot.img"), "grub-pc-bin's boot.img")));
        writeAt(img, 512, coreBytes, coreBytes.length);
        byte[] fsBytes = Files.readAllBytes(fs);
        writeAt(img, 2048L * 512, fsBytes, fsBytes.length);
        return img;
    }

    static BootReport bootProtected(Path img) {
        try (FileBlockDevice d = FileBlockDevice.open(img, true)) {
            return HvmBoot.boot(d, HvmBoot.Options.defaults().withProtectedMode(true).withMaxInstructions(400_000_000)
                    .withTimeLimit(java.time.Duration.ofSeconds(120)));
        }
    }

    @Test
    void realGrub2ReadsGrubCfgFromExt2RunsItsMenuAndHandsOffThroughThe32BitEntry() throws Exception {
        String cfg = """
                set timeout=1
                menuentry 'amiforge tiny' {
                    linux /boot/vmlinuz console=ttyS0 root=/dev/sda1 from=grub
                }
                """;
        Path img = grubDisk("grubcfg", Map.of("boot/grub/grub.cfg", cfg.getBytes(StandardCharsets.US_ASCII),
                "boot/vmlinuz", TinyKernel.bzImage()), "biosdisk", "part_msdos", "ext2", "normal", "linux", "configfile");
        BootReport r = bootProtected(img);
        assertThat(r.result()).as(r.error() + "\n" + r.screen() + "\n" + r.stages()).isEqualTo(BootReport.Result.KERNEL_HANDOFF);
        assertThat(r.screen().text()).as("GRUB's menu timed out and booted the default entry").contains("Booting `amiforge tiny'");
        assertThat(r.kernel().cmdline()).isEqualTo("BOOT_IMAGE=/boot/vmlinuz console=ttyS0 root=/dev/sda1 from=grub");
        assertThat(r.kernel().version()).as("read from the kernel file's sectors GRUB read").startsWith("amiforge-tiny 1.0");
        assertThat(r.kernel().attributes()).containsEntry("bootProtocol", "2.10").containsEntry("code32Start", "0x100000");
        assertThat((String) r.details().get("entry")).startsWith("32-bit boot protocol");
        assertThat(r.stages()).extracting(BootReport.Stage::name).contains("kernel hand-off");
    }

    @Test
    void realGrub2WithAMissingKernelShowsItsOwnErrorAndNeverHandsOff() throws Exception {
        String cfg = """
                set timeout=0
                menuentry 'gone' {
                    linux /boot/missing root=/dev/sda1
                }
                """;
        Path img = grubDisk("grubmissing", Map.of("boot/grub/grub.cfg", cfg.getBytes(StandardCharsets.US_ASCII)),
                "biosdisk", "part_msdos", "ext2", "normal", "linux", "configfile");
        BootReport r = bootProtected(img);
        assertThat(r.screen().text()).as(r.result() + " " + r.error()).contains("error: file `/boot/missing' not found.");
        assertThat(r.result()).as("GRUB waits for a key after the failed entry: failed, in GRUB's words")
                .isEqualTo(BootReport.Result.FAILED);
        assertThat(r.error()).contains("error: file `/boot/missing' not found.");
        assertThat(r.instructions()).as("stopped once GRUB waited for a key, not at the end of the budget").isLessThan(90_000_000);
        assertThat(r.kernel()).isNull();
    }

    @Test
    void realGrub2WithACorruptKernelHeaderFailsWithItsOwnError() throws Exception {
        String cfg = """
                set timeout=0
                menuentry 'bad' {
                    linux /boot/vmlinuz root=/dev/sda1
                }
                """;
        Path img = grubDisk("grubbad", Map.of("boot/grub/grub.cfg", cfg.getBytes(StandardCharsets.US_ASCII),
                "boot/vmlinuz", TestKernels.badHeader()), "biosdisk", "part_msdos", "ext2", "normal", "linux", "configfile");
        BootReport r = bootProtected(img);
        assertThat(r.result()).as(r.error() + "\n" + r.screen()).isEqualTo(BootReport.Result.FAILED);
        assertThat(r.error()).contains("Booting `bad' / error: invalid magic number.");
        assertThat(r.screen().text()).contains("Press any key to continue...");
        assertThat(r.kernel()).isNull();
    }

    /** As grub-bios-setup: boot.img's code, the disk's own partition table, kernel sector = LBA 1. */
    static void installBootImg(Path img, byte[] bootImg) throws IOException {
        byte[] s0 = new byte[512];
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.readFully(s0);
            byte[] merged = bootImg.clone();
            System.arraycopy(s0, 0x1B8, merged, 0x1B8, 512 - 0x1B8);
            for (int i = 0; i < 8; i++) {
                merged[0x5C + i] = (byte) (i == 0 ? 1 : 0);
            }
            merged[0x64] = (byte) 0xFF;
            f.seek(0);
            f.write(merged);
        }
    }
}
