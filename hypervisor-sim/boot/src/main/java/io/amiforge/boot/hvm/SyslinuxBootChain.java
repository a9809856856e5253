package io.amiforge.boot.hvm;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.build.BootCodeInstaller;
import io.amiforge.imagefmt.build.BootPayload;
import io.amiforge.imagefmt.partition.Mbr;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * SYSLINUX for {@code image build --bootloader syslinux}, made with the host's own tools and no
 * mounting: syslinux-common's {@code mbr.bin} in the MBR's code area, and a FAT16 boot partition
 * (partition 1, active; the root filesystem is partition 2) made by {@code mkfs.fat}, with
 * {@code syslinux --install} (its VBR, ldlinux.sys and ldlinux.c32) and, copied in by
 * {@code mcopy}, the kernel as {@code /vmlinuz}, the initrd as {@code /initrd.img} and a
 * {@code syslinux.cfg} booting them with the command line ({@code TIMEOUT 1}: a tenth of a
 * second). Needs Debian's syslinux, syslinux-common, dosfstools and mtools on the host.
 */
public final class SyslinuxBootChain implements BootCodeInstaller {

    /** syslinux-common's MBR code. */
    public static final Path MBR_BIN = SyslinuxMbr.MBR_BIN;
    private static final long MIB = 2048;

    /** An installer (stateless); the host tools are run by {@link #install}. */
    public SyslinuxBootChain() {
    }

    @Override
    public int loaderSectors() {
        return 0; // the loader lives in the boot partition
    }

    @Override
    public long bootPartitionSectors(long kernelSize, long initrdSize) {
        // FAT16 needs at least 16 MiB here; room for the loader's files and the FAT's own overhead
        long bytes = kernelSize + initrdSize + (4L << 20);
        return Math.max(32 * MIB, (bytes / 512 / MIB + 1) * MIB);
    }

    /** The syslinux.cfg that boots /vmlinuz with {@code cmdline} (and /initrd.img). */
    public static String syslinuxCfg(String cmdline, boolean initrd) {
        return "DEFAULT amiforge\nPROMPT 0\nTIMEOUT 1\nLABEL amiforge\n  KERNEL /vmlinuz\n"
                + (initrd ? "  INITRD /initrd.img\n" : "") + "  APPEND " + cmdline + "\n";
    }

    @Override
    public void install(BlockDevice disk, long loaderLba, BootPayload payload) {
        byte[] mbr = SyslinuxMbr.read("--bootloader syslinux");
        byte[] sector0 = new byte[512];
        disk.read(0, MemorySegment.ofArray(sector0));
        ByteBuffer table = ByteBuffer.wrap(sector0).order(ByteOrder.LITTLE_ENDIAN);
        int entry = Mbr.TABLE_OFFSET;
        long start = table.getInt(entry + 8) & 0xFFFFFFFFL, sectors = table.getInt(entry + 12) & 0xFFFFFFFFL;
        if ((sector0[entry] & 0xFF) != 0x80 || sectors == 0) {
            throw new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidParameterValue", disk.name()
                    + ": partition 1 is not an active boot partition (the image builder makes one when bootPartitionSectors > 0)");
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory("amiforge-syslinux");
            Path fat = dir.resolve("boot.fat");
            HostTool.run("mkfs.fat", "dosfstools", List.of("-F", "16", "-n", "BOOT", "-C", fat.toString(), Long.toString(sectors / 2)));
            HostTool.run("syslinux", "syslinux", List.of("--install", fat.toString()));
            List<String> copy = new ArrayList<>(List.of("-o", "-i", fat.toString()));
            copy.add(write(dir.resolve("vmlinuz"), read(disk, payload.kernel(), payload.kernelSize())));
            if (payload.initrdSize() > 0) {
                copy.add(write(dir.resolve("initrd.img"), read(disk, payload.initrd(), payload.initrdSize())));
            }
            String cmdline = payload.cmdline() == null ? "" : payload.cmdline();
            copy.add(write(dir.resolve("syslinux.cfg"), syslinuxCfg(cmdline, payload.initrdSize() > 0).getBytes(StandardCharsets.UTF_8)));
            copy.add("::/");
            HostTool.run("mcopy", "mtools", copy);
            byte[] fs = Files.readAllBytes(fat);
            if (fs.length > sectors * 512) {
                throw new AmiforgeException(AmiforgeException.Kind.FAILED, "BootLoaderToolFailed", "the FAT boot filesystem ("
                        + fs.length + " bytes) does not fit its partition (" + sectors * 512 + " bytes)");
            }
            disk.write(start * 512, MemorySegment.ofArray(fs));
            SyslinuxMbr.write(disk, mbr);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            HostTool.deleteTree(dir);
        }
    }

    private static String write(Path file, byte[] bytes) throws IOException {
        Files.write(file, bytes);
        return file.toString();
    }

    /** The file the builder placed in the root filesystem, read back through its extents. */
    private static byte[] read(BlockDevice disk, List<BootPayload.Extent> extents, long size) {
        if (size > Integer.MAX_VALUE - 512) {
            throw new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidParameterValue",
                    "a " + size + "-byte kernel or initrd is more than --bootloader syslinux copies (2 GiB)");
        }
        byte[] sectors = new byte[(int) ((size + 511) / 512 * 512)];
        int at = 0;
        for (BootPayload.Extent e : extents) {
            int n = (int) Math.min(e.sectors() * 512, sectors.length - at);
            if (n <= 0) {
                break;
            }
            disk.read(e.lba() * 512, MemorySegment.ofArray(sectors).asSlice(at, n));
            at += n;
        }
        return java.util.Arrays.copyOf(sectors, (int) size);
    }
}
