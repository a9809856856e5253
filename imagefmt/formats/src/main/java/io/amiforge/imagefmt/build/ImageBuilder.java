package io.amiforge.imagefmt.build;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.FileBlockDevice;
import io.amiforge.imagefmt.ext.Ext2Writer;
import io.amiforge.imagefmt.ext.SourceTree;
import io.amiforge.imagefmt.partition.Gpt;
import io.amiforge.imagefmt.partition.Mbr;
import io.amiforge.imagefmt.partition.Partition;
import io.amiforge.imagefmt.partition.PartitionTable;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * Builds a disk image from a directory tree: an optional partition table (MBR or GPT, one
 * Linux partition from LBA 2048, i.e. 1 MiB, to the end of the usable area; active for MBR),
 * an ext2 root filesystem with the tree's content, and what a boot needs:
 * <ul>
 *   <li>{@link BootMode#PV}: the kernel (and initrd) at {@code /boot/vmlinuz}
 *       ({@code /boot/initrd.img}) and a GRUB-legacy {@code /boot/grub/menu.lst} as PV-GRUB
 *       reads it: {@code default 0}, {@code timeout 0}, one entry with
 *       {@code root (hd0,0)} (or {@code (hd0)} without a table), {@code kernel} with the command
 *       line, and {@code initrd}.</li>
 *   <li>{@link BootMode#HVM}: the kernel, the initrd and the installer's
 *       {@link BootCodeInstaller#rootFiles root files} in one contiguous run each, then the
 *       {@link BootCodeInstaller} is called with the loader LBA (1 for MBR, 34 for GPT, after the
 *       entry array) and a {@link BootPayload} listing their sectors on the whole disk.</li>
 * </ul>
 * Output is deterministic: the same tree, options and SOURCE_DATE_EPOCH give the same bytes
 * (the filesystem UUID, disk signature and GPT GUIDs are derived, not random).
 */
public final class ImageBuilder {

    /** The first LBA of the root partition: 1 MiB, leaving room for a loader before it. */
    public static final long PARTITION_START = 2048;
    public static final String KERNEL_PATH = "/boot/vmlinuz";
    public static final String INITRD_PATH = "/boot/initrd.img";
    public static final String MENU_LST_PATH = "/boot/grub/menu.lst";
    /** MBR type of a loader's boot partition ({@link BootCodeInstaller#bootPartitionSectors}): FAT16 (06h). */
    public static final String BOOT_PARTITION_TYPE = "06";

    /** The partition table to write. */
    public enum PartitionScheme { MBR, GPT, NONE }

    /** What the image is made to boot with. */
    public enum BootMode { NONE, PV, HVM }

    /** What a build made: where the filesystem is, its writer's result, and the HVM payload if any. */
    public record Result(PartitionScheme scheme, long fsStartLba, long fsSectors, Ext2Writer.Result filesystem,
                         BootPayload payload, String menuLst, List<String> warnings) {
    }

    private Path rootDir;
    private SourceTree tree;
    private PartitionScheme scheme = PartitionScheme.MBR;
    private BootMode boot = BootMode.NONE;
    private byte[] kernel;
    private byte[] initrd;
    private String cmdline;
    private BootCodeInstaller installer;
    private Long sourceDateEpoch = Ext2Writer.sourceDateEpochFromEnvironment();
    private int blockSize = 4096;
    private String label = "root";

    private ImageBuilder() {
    }

    /** A builder for the tree under host directory {@code rootDir} (null: an empty root). */
    public static ImageBuilder from(Path rootDir) {
        ImageBuilder b = new ImageBuilder();
        b.rootDir = rootDir;
        return b;
    }

    /** A builder for an already assembled tree (it is changed: /boot files and lost+found are added). */
    public static ImageBuilder from(SourceTree tree) {
        ImageBuilder b = new ImageBuilder();
        b.tree = tree;
        return b;
    }

    public ImageBuilder partition(PartitionScheme s) {
        this.scheme = Objects.requireNonNull(s);
        return this;
    }

    public ImageBuilder boot(BootMode m) {
        this.boot = Objects.requireNonNull(m);
        return this;
    }

    /** The kernel image to install; required for a bootable image (the CLI supplies amiforge's own guest kernels). */
    public ImageBuilder kernel(byte[] k) {
        this.kernel = k;
        return this;
    }

    /** The initrd to install; null means none. */
    public ImageBuilder initrd(byte[] i) {
        this.initrd = i;
        return this;
    }

    /** The kernel command line; null means a default naming the root partition. */
    public ImageBuilder cmdline(String c) {
        this.cmdline = c;
        return this;
    }

    /** The HVM boot code; required for {@link BootMode#HVM}. */
    public ImageBuilder bootCode(BootCodeInstaller i) {
        this.installer = i;
        return this;
    }

    /** Overrides SOURCE_DATE_EPOCH from the environment (null: use the current time). */
    public ImageBuilder sourceDateEpoch(Long epoch) {
        this.sourceDateEpoch = epoch;
        return this;
    }

    public ImageBuilder blockSize(int size) {
        this.blockSize = size;
        return this;
    }

    public ImageBuilder label(String l) {
        this.label = l;
        return this;
    }

    /** Creates (or truncates) the raw file {@code output} of {@code size} bytes and builds into it. */
    public Result buildRaw(Path output, long size) {
        if (size <= 0 || size % 512 != 0) {
            throw usage("image size " + size + " is not a positive multiple of 512 bytes");
        }
        try (BlockDevice disk = FileBlockDevice.create(output, size)) {
            Result r = build(disk);
            disk.flush();
            return r;
        }
    }

    /** Builds into {@code disk} (its whole content is replaced). */
    public Result build(BlockDevice disk) {
        long sectors = disk.size() / 512;
        List<String> warnings = new ArrayList<>();
        long start;
        long end;
        switch (scheme) {
            case NONE -> {
                start = 0;
                end = sectors;
            }
            case MBR -> {
                start = PARTITION_START;
                end = Math.min(sectors, 0xFFFFFFFFL);
            }
            case GPT -> {
                start = PARTITION_START;
                end = sectors - Gpt.FIRST_USABLE + 1; // the backup array and header take the last 33 sectors
            }
            default -> throw new IllegalStateException();
        }
        long bootSectors = this.boot == BootMode.HVM && installer != null && kernel != null
                ? installer.bootPartitionSectors(kernel.length, initrd == null ? 0 : initrd.length) : 0;
        if (bootSectors > 0) {
            if (scheme != PartitionScheme.MBR) {
                throw usage("this boot loader keeps the kernel in a boot partition before the root partition: use --partition mbr");
            }
            bootSectors = (bootSectors + PARTITION_START - 1) / PARTITION_START * PARTITION_START;
            start += bootSectors;
        }
        long perBlock = blockSize / 512;
        long fsSectors = (end - start) / perBlock * perBlock;
        if (end <= start || fsSectors * 512 < 1 << 20) {
            throw usage("%s: a %d-byte disk leaves no room for a root filesystem after LBA %d".formatted(disk.name(), disk.size(), start));
        }
        FileTime mtime = FileTime.fromMillis((sourceDateEpoch != null ? sourceDateEpoch : System.currentTimeMillis() / 1000) * 1000);
        SourceTree src = tree != null ? tree : rootDir != null ? SourceTree.scan(rootDir) : SourceTree.empty(mtime);
        warnings.addAll(src.warnings());

        byte[] k = kernel;
        byte[] i = initrd;
        BootCodeInstaller boot = installer;
        String line = cmdline;
        String menu = null;
        if (this.boot != BootMode.NONE) {
            if (k == null) {
                throw usage("no kernel given for a " + this.boot.name().toLowerCase(java.util.Locale.ROOT) + " image");
            }
            src.putFile(KERNEL_PATH, k, 0644, 0, 0, mtime);
            if (i != null) {
                src.putFile(INITRD_PATH, i, 0644, 0, 0, mtime);
            }
            if (line == null) {
                line = defaultCmdline(this.boot, scheme);
                if (bootSectors > 0) {
                    line = line.replace("/dev/sda1", "/dev/sda2"); // the root is partition 2, after the boot partition
                }
            }
            if (line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0 || line.length() > 4096) {
                throw usage("the kernel command line must be one line of at most 4096 characters");
            }
        }
        if (this.boot == BootMode.PV) {
            menu = menuLst(scheme, line, i != null);
            src.putFile(MENU_LST_PATH, menu.getBytes(StandardCharsets.UTF_8), 0644, 0, 0, mtime);
        }
        long loaderLba = scheme == PartitionScheme.GPT ? Gpt.FIRST_USABLE : 1;
        Set<String> loaderFiles = new java.util.HashSet<>(Set.of(KERNEL_PATH, INITRD_PATH));
        if (this.boot == BootMode.HVM) {
            if (boot == null) {
                throw usage("an HVM image needs boot code (a BootCodeInstaller) and none was given");
            }
            for (java.util.Map.Entry<String, byte[]> f : boot.rootFiles(line, i != null).entrySet()) {
                src.putFile(f.getKey(), f.getValue(), 0644, 0, 0, mtime);
                loaderFiles.add(f.getKey());
            }
            long limit = scheme == PartitionScheme.NONE ? 2 : PARTITION_START;
            if (loaderLba + boot.loaderSectors() > limit) {
                throw usage("%s: the HVM loader needs %d sectors at LBA %d but only %d are free before %s"
                        .formatted(disk.name(), boot.loaderSectors(), loaderLba, limit - loaderLba,
                                scheme == PartitionScheme.NONE ? "the ext2 superblock (use --partition mbr or gpt)" : "the first partition"));
            }
        }

        disk.discard(0, disk.size());
        Partition root = new Partition(bootSectors > 0 ? 2 : 1, start, fsSectors, scheme == PartitionScheme.GPT ? Partition.GPT_LINUX : Partition.MBR_LINUX,
                scheme == PartitionScheme.GPT ? label : "", bootSectors == 0 && (scheme == PartitionScheme.MBR
                        || (scheme == PartitionScheme.GPT && this.boot == BootMode.HVM)));
        List<Partition> partitions = bootSectors > 0
                ? List.of(new Partition(1, PARTITION_START, bootSectors, BOOT_PARTITION_TYPE, "", true), root) : List.of(root);
        BlockDevice fsDevice = PartitionTable.open(disk, root);
        Ext2Writer.Options options = new Ext2Writer.Options(blockSize, label, sourceDateEpoch, null,
                this.boot == BootMode.HVM ? loaderFiles : Set.of(), 16384);
        Ext2Writer.Result fs = Ext2Writer.write(fsDevice, src, options);
        UUID diskId = UUID.nameUUIDFromBytes(("disk:" + fs.uuid()).getBytes(StandardCharsets.UTF_8));
        switch (scheme) {
            case MBR -> Mbr.write(disk, diskId.getMostSignificantBits() & 0xFFFFFFFFL, partitions);
            case GPT -> Gpt.write(disk, diskId.toString(), List.of(root));
            case NONE -> {
            }
        }
        BootPayload payload = null;
        if (this.boot == BootMode.HVM) {
            payload = new BootPayload(extents(fs, KERNEL_PATH, start), k.length,
                    i != null ? extents(fs, INITRD_PATH, start) : List.of(), i != null ? i.length : 0, line);
            byte[] before = tableBytes(disk);
            boot.install(disk, loaderLba, payload);
            if (!java.util.Arrays.equals(before, tableBytes(disk))) {
                throw new AmiforgeException(AmiforgeException.Kind.FAILED, "BootCodeInstallFailed",
                        disk.name() + ": the boot code installer changed bytes 440-511 of the MBR (disk signature or partition table)");
            }
        }
        disk.flush();
        return new Result(scheme, start, fsSectors, fs, payload, menu, warnings);
    }

    private static byte[] tableBytes(BlockDevice disk) {
        byte[] b = new byte[72];
        disk.read(440, MemorySegment.ofArray(b));
        return b;
    }

    private static List<BootPayload.Extent> extents(Ext2Writer.Result fs, String path, long startLba) {
        long per = fs.blockSize() / 512;
        List<BootPayload.Extent> out = new ArrayList<>();
        for (Ext2Writer.BlockRun r : fs.blocksOf(path)) {
            out.add(new BootPayload.Extent(startLba + r.physical() * per, r.count() * per));
        }
        return out;
    }

    /** The default kernel command line for a boot mode and partition scheme. */
    public static String defaultCmdline(BootMode mode, PartitionScheme scheme) {
        String part = scheme == PartitionScheme.NONE ? "" : "1";
        return mode == BootMode.PV ? "root=/dev/xvda" + part + " ro console=hvc0" : "root=/dev/sda" + part + " ro console=ttyS0";
    }

    /** The PV-GRUB menu.lst for the kernel and initrd this builder installs. */
    public static String menuLst(PartitionScheme scheme, String cmdline, boolean withInitrd) {
        String root = scheme == PartitionScheme.NONE ? "(hd0)" : "(hd0,0)";
        StringBuilder s = new StringBuilder();
        s.append("default 0\n");
        s.append("timeout 0\n\n");
        s.append("title amiforge\n");
        s.append("\troot ").append(root).append('\n');
        s.append("\tkernel ").append(KERNEL_PATH).append(cmdline.isEmpty() ? "" : " " + cmdline).append('\n');
        if (withInitrd) {
            s.append("\tinitrd ").append(INITRD_PATH).append('\n');
        }
        return s.toString();
    }

    private static AmiforgeException usage(String message) {
        return new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue", message);
    }
}
