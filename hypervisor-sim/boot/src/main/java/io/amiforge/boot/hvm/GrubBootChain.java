package io.amiforge.boot.hvm;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.build.BootCodeInstaller;
import io.amiforge.imagefmt.build.BootPayload;
import io.amiforge.imagefmt.build.ImageBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * GRUB 2 for {@code image build --bootloader grub}, installed as {@code grub-install} does on a
 * BIOS disk but without mounting anything: the host's {@code boot.img} in the MBR's code area,
 * a {@code core.img} made by the host's {@code grub-mkimage} (biosdisk, part_msdos or part_gpt,
 * ext2, normal, linux, configfile; prefix {@code (hd0,msdos1)/boot/grub} or {@code (hd0,gpt1)})
 * in the sectors before the first partition, and {@code /boot/grub/grub.cfg} in the root
 * filesystem with one entry that boots the kernel, the initrd and the command line at once
 * ({@code timeout=0}). Needs Debian's grub-pc-bin on the host (its files are never shipped).
 */
public final class GrubBootChain implements BootCodeInstaller {

    /** Where grub-pc-bin keeps the i386-pc images and modules. */
    public static final Path GRUB_DIR = Path.of("/usr/lib/grub/i386-pc");
    static final int KERNEL_SECTOR = 0x5C, BOOT_DRIVE = 0x64, MBR_CODE = 440, BLOCKLIST_START = 0x1F4;
    private static final String UNSAFE = "$;&|<>\"'\\{}#`\n\r";

    private final byte[] bootImg;
    private final byte[] coreImg;

    /** Makes core.img for a disk with an MBR ({@code gpt} false) or a GPT partition table. */
    public GrubBootChain(boolean gpt) {
        Path boot = GRUB_DIR.resolve("boot.img");
        if (!Files.isRegularFile(boot)) {
            throw new AmiforgeException(AmiforgeException.Kind.FAILED, "BootLoaderToolMissing",
                    boot + " not found: install the Debian package grub-pc-bin to build images with --bootloader grub");
        }
        try {
            bootImg = Files.readAllBytes(boot);
            Path core = Files.createTempFile("amiforge-core", ".img");
            try {
                HostTool.run("grub-mkimage", "grub-pc-bin", List.of("-O", "i386-pc", "-d", GRUB_DIR.toString(), "-o",
                        core.toString(), "-p", "(hd0," + (gpt ? "gpt1" : "msdos1") + ")/boot/grub", "biosdisk",
                        gpt ? "part_gpt" : "part_msdos", "ext2", "normal", "linux", "configfile"));
                coreImg = Files.readAllBytes(core);
            } finally {
                Files.deleteIfExists(core);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (bootImg.length != 512 || coreImg.length < 1024) {
            throw new AmiforgeException(AmiforgeException.Kind.FAILED, "BootLoaderToolFailed", "unexpected GRUB images: boot.img "
                    + bootImg.length + " bytes (expected 512), core.img " + coreImg.length + " bytes");
        }
    }

    @Override
    public int loaderSectors() {
        return (coreImg.length + 511) / 512;
    }

    @Override
    public Map<String, byte[]> rootFiles(String cmdline, boolean initrd) {
        return Map.of("/boot/grub/grub.cfg", grubCfg(cmdline, initrd).getBytes(StandardCharsets.US_ASCII));
    }

    /** The grub.cfg that boots {@link ImageBuilder#KERNEL_PATH} with {@code cmdline} (and the initrd) at once. */
    public static String grubCfg(String cmdline, boolean initrd) {
        for (int i = 0; i < cmdline.length(); i++) {
            char c = cmdline.charAt(i);
            if (UNSAFE.indexOf(c) >= 0 || c > 0x7E || c < 0x20) {
                throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue", "kernel command line character '"
                        + c + "' at offset " + i + " would be read by GRUB's script parser; use plain words and '=' for --bootloader grub");
            }
        }
        StringBuilder s = new StringBuilder("set timeout=0\nmenuentry 'amiforge' {\n");
        s.append("\tlinux ").append(ImageBuilder.KERNEL_PATH).append(cmdline.isEmpty() ? "" : " " + cmdline).append('\n');
        if (initrd) {
            s.append("\tinitrd ").append(ImageBuilder.INITRD_PATH).append('\n');
        }
        return s.append("}\n").toString();
    }

    @Override
    public void install(BlockDevice disk, long loaderLba, BootPayload payload) {
        long sectors = disk.size() / 512;
        if (loaderLba < 1 || loaderLba + loaderSectors() > sectors) {
            throw new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidParameterValue", "core.img LBA " + loaderLba
                    + " on '" + disk.name() + "' (" + sectors + " sectors) leaves no room for its " + loaderSectors() + " sectors");
        }
        byte[] core = coreImg.clone();
        // diskboot.img (core.img's first sector) reads the rest through its blocklist, which starts right after it
        putLong(core, BLOCKLIST_START, loaderLba + 1);
        byte[] sector0 = new byte[512];
        disk.read(0, MemorySegment.ofArray(sector0));
        byte[] mbr = bootImg.clone();
        putLong(mbr, KERNEL_SECTOR, loaderLba);
        mbr[BOOT_DRIVE] = (byte) 0xFF; // use the drive the BIOS booted from (DL)
        System.arraycopy(mbr, 0, sector0, 0, MBR_CODE);
        sector0[510] = 0x55;
        sector0[511] = (byte) 0xAA;
        byte[] padded = new byte[loaderSectors() * 512];
        System.arraycopy(core, 0, padded, 0, core.length);
        disk.write(loaderLba * 512, MemorySegment.ofArray(padded));
        disk.write(0, MemorySegment.ofArray(sector0));
    }

    private static void putLong(byte[] b, int at, long v) {
        for (int i = 0; i < 8; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }
}
