package io.amiforge.boot.hvm;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.build.BootCodeInstaller;
import io.amiforge.imagefmt.build.BootPayload;
import io.amiforge.imagefmt.build.ImageBuilder;
import io.amiforge.imagefmt.partition.Partition;
import io.amiforge.imagefmt.partition.PartitionTable;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * EXTLINUX for {@code image build --bootloader extlinux}: SYSLINUX 6 booting straight from the
 * root filesystem, installed as {@code extlinux --install /boot/extlinux} would but without
 * mounting. The builder writes {@code /boot/extlinux/ldlinux.sys} (the host's
 * {@link SyslinuxCore}, every block allocated), {@code ldlinux.c32} and an
 * {@code extlinux.conf} booting {@link ImageBuilder#KERNEL_PATH} (and the initrd) with the
 * command line ({@code SERIAL 0 115200}, so the loader talks on COM1 too, and
 * {@code TIMEOUT 1}); {@link #install} then patches ldlinux.sys in place and writes the boot
 * sector into the root partition's first sector ({@link ExtlinuxInstaller}) and syslinux-common's
 * {@code mbr.bin} into the MBR's code area (the builder makes the root partition active). Needs
 * Debian's syslinux, syslinux-common, dosfstools and mtools on the host; MBR disks only
 * ({@code mbr.bin} boots the active MBR partition).
 */
public final class ExtlinuxBootChain implements BootCodeInstaller {

    /** Where the loader's files go in the root filesystem. */
    public static final String DIR = "/boot/extlinux";

    private final SyslinuxCore core;

    /** Takes the loader from the host's syslinux ({@link SyslinuxCore#fromHost()}). */
    public ExtlinuxBootChain() {
        this(SyslinuxCore.fromHost());
    }

    /** An installer for a given SYSLINUX core. */
    public ExtlinuxBootChain(SyslinuxCore core) {
        this.core = core;
    }

    @Override
    public int loaderSectors() {
        return 0; // the loader lives in the root filesystem and its first sector
    }

    @Override
    public Map<String, byte[]> rootFiles(String cmdline, boolean initrd) {
        return Map.of(DIR + "/ldlinux.sys", core.ldlinuxSys(), DIR + "/ldlinux.c32", core.ldlinuxC32(),
                DIR + "/extlinux.conf", extlinuxConf(cmdline, initrd).getBytes(StandardCharsets.UTF_8));
    }

    /** The extlinux.conf that boots the builder's kernel with {@code cmdline} (and its initrd). */
    public static String extlinuxConf(String cmdline, boolean initrd) {
        return "SERIAL 0 115200\nDEFAULT amiforge\nPROMPT 0\nTIMEOUT 1\nLABEL amiforge\n  KERNEL " + ImageBuilder.KERNEL_PATH + "\n"
                + (initrd ? "  INITRD " + ImageBuilder.INITRD_PATH + "\n" : "") + "  APPEND " + cmdline + "\n";
    }

    @Override
    public void install(BlockDevice disk, long loaderLba, BootPayload payload) {
        PartitionTable table = PartitionTable.read(disk);
        if (table.scheme() != PartitionTable.Scheme.MBR) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "--bootloader extlinux boots through syslinux's mbr.bin, which reads an MBR partition table: use --partition mbr");
        }
        long kernelLba = payload.kernel().isEmpty() ? -1 : payload.kernel().getFirst().lba();
        Partition root = table.partitions().stream()
                .filter(p -> kernelLba >= p.startLba() && kernelLba < p.startLba() + p.sectors()).findFirst()
                .orElseThrow(() -> new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidParameterValue",
                        disk.name() + ": no partition holds the kernel (LBA " + kernelLba + ")"));
        if (!root.bootable()) {
            throw new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidParameterValue", disk.name() + ": partition "
                    + root.index() + " holds the kernel but is not active, and mbr.bin boots the active partition");
        }
        byte[] mbr = SyslinuxMbr.read("--bootloader extlinux");
        ExtlinuxInstaller.install(disk, root, DIR, core);
        SyslinuxMbr.write(disk, mbr);
    }
}
