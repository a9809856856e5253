package io.amiforge.cli.image;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.boot.hvm.AmiforgeBootChain;
import io.amiforge.boot.hvm.ExtlinuxBootChain;
import io.amiforge.boot.hvm.GrubBootChain;
import io.amiforge.boot.hvm.SyslinuxBootChain;
import io.amiforge.boot.hvm.TinyKernel;
import io.amiforge.boot.pv.TinyPvKernel;
import io.amiforge.cli.common.CommandBase;
import io.amiforge.cli.common.CreationOptions;
import io.amiforge.cli.common.Progress;
import io.amiforge.cli.common.ProgressDevice;
import io.amiforge.cli.common.ProgressOptions;
import io.amiforge.cli.common.Size;
import io.amiforge.imagefmt.build.BootPayload;
import io.amiforge.imagefmt.build.ImageBuilder;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageConverter;
import io.amiforge.imagefmt.format.ImageSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code amiforge image build ROOTDIR FILE --size S [--partition mbr|gpt|none] [--virtualization hvm|pv]
 * [--bootloader amiforge|grub|syslinux|extlinux] [--kernel F] [--initrd F] [--cmdline S] [-O raw|qcow2] [-o OPTS]} (the old {@code -o FILE} still works):
 * a bootable disk image from a
 * directory tree (see {@link ImageBuilder}). Without {@code --kernel}, amiforge's own guest kernel
 * for the boot mode is installed (the tiny bzImage for HVM, the tiny Xen PV ELF for PV), so every
 * image boots with no download; HVM images get amiforge's boot chain, or GRUB 2 / SYSLINUX / EXTLINUX with {@code --bootloader grub|syslinux|extlinux}.
 * The image is built next to
 * FILE and renamed over it only when complete, so a failure leaves no half-built image and an
 * existing FILE untouched. Honours SOURCE_DATE_EPOCH.
 */
@Command(name = "build",
        description = {"Build a bootable disk image from a directory tree.",
            "Example: amiforge image build rootfs/ disk.qcow2 --size 256M --virtualization hvm -O qcow2"})
public final class ImageBuildCommand extends CommandBase {

    @Mixin
    ProgressOptions progressOptions = new ProgressOptions();

    @Parameters(index = "0", paramLabel = "ROOTDIR",
            description = "Directory whose content becomes the root filesystem. Example: rootfs/")
    Path rootDir;

    @Parameters(index = "1", paramLabel = "FILE", arity = "0..1",
            description = "Output image file (built beside it, renamed over it when complete). Example: disk.raw")
    Path outputFile;

    /** {@code -o}: creation options, or (the old spelling, a value without '=') the output file. */
    @Option(names = "-o", paramLabel = "OPTS",
            description = "Creation options for -O qcow2, key=value[,key=value]: cluster_size, compat."
                    + " (Old spelling: -o FILE, a value without '=', names the output file.) Example: -o cluster_size=1M")
    String creationOrFile;

    @Option(names = "--size", required = true, paramLabel = "SIZE",
            description = "Disk size: 512, 4K, 64M, 1G. Example: --size 256M")
    Size size;

    @Option(names = "--partition", defaultValue = "mbr", paramLabel = "mbr|gpt|none",
            description = "Partition table (default ${DEFAULT-VALUE}). Example: --partition gpt")
    String partitionName;

    @Option(names = "--virtualization", paramLabel = "hvm|pv",
            description = "Make the image bootable this way: hvm (BIOS, MBR boot chain) or pv (PV-GRUB menu.lst);"
                    + " 'paravirtual' is accepted for pv. Example: --virtualization pv")
    String bootName;

    @Option(names = "--boot", hidden = true, paramLabel = "hvm|pv",
            description = "Old spelling of --virtualization. Example: --boot hvm")
    void boot(String value) {
        bootName = value;
    }

    @Option(names = "--kernel", paramLabel = "FILE",
            description = "Kernel image to install (default: the project's tiny guest kernel). Example: --kernel vmlinuz")
    Path kernel;

    @Option(names = "--initrd", paramLabel = "FILE", description = "Initrd to install next to the kernel. Example: --initrd initrd.img")
    Path initrd;

    @Option(names = "--cmdline", paramLabel = "TEXT",
            description = "Kernel command line. Example: --cmdline 'console=ttyS0 root=/dev/xvda1'")
    String cmdline;

    @Option(names = "--bootloader", defaultValue = "amiforge", paramLabel = "amiforge|grub|syslinux|extlinux",
            description = "HVM boot loader (default ${DEFAULT-VALUE}): amiforge (the project's own MBR loader, needs no host"
                    + " tools), grub (GRUB 2 from the host's grub-pc-bin: boot.img, core.img before the first partition,"
                    + " /boot/grub/grub.cfg), syslinux (the host's syslinux, dosfstools and mtools: mbr.bin and a FAT boot"
                    + " partition 1 with the kernel, initrd and syslinux.cfg; the root becomes partition 2; MBR only) or extlinux"
                    + " (the same host packages: SYSLINUX installed into the root filesystem's /boot/extlinux without mounting,"
                    + " its boot sector in the root partition's first sector, mbr.bin in the MBR; MBR only)."
                    + " Example: --bootloader grub")
    String bootloader;

    @Option(names = "-O", defaultValue = "raw", paramLabel = "raw|qcow2",
            description = "Output format (default ${DEFAULT-VALUE}). Example: -O qcow2")
    String format;

    @Override
    protected int execute() throws IOException {
        ImageBuilder.PartitionScheme partition = choice("--partition", partitionName, ImageBuilder.PartitionScheme.class);
        ImageBuilder.BootMode boot = bootName == null ? null
                : choice("--virtualization", bootName.equalsIgnoreCase("paravirtual") ? "pv" : bootName, ImageBuilder.BootMode.class);
        Path output = outputFile(outputFile, creationOrFile);
        CreateOptions creation = CreationOptions.apply(CreateOptions.defaults(),
                creationOrFile != null && CreationOptions.looksLikeOptions(creationOrFile) ? creationOrFile : null);
        if (!format.equalsIgnoreCase("raw") && !format.equalsIgnoreCase("qcow2")) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue", "-O " + format + ": expected raw or qcow2");
        }
        if ((kernel != null || initrd != null || cmdline != null) && (boot == null || boot == ImageBuilder.BootMode.NONE)) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "--kernel, --initrd and --cmdline need --virtualization hvm or --virtualization pv");
        }
        String loader = bootloader.toLowerCase(java.util.Locale.ROOT);
        if (!List.of("amiforge", "grub", "syslinux", "extlinux").contains(loader)) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "--bootloader " + bootloader + ": expected amiforge, grub, syslinux or extlinux");
        }
        if (!loader.equals("amiforge") && boot != ImageBuilder.BootMode.HVM) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "--bootloader " + loader + " needs --virtualization hvm (a PV image boots through PV-GRUB's menu.lst)");
        }
        if (!Files.isDirectory(rootDir)) {
            throw new AmiforgeException(AmiforgeException.Kind.NOT_FOUND, "FileNotFound", rootDir + ": no such directory");
        }
        byte[] kernelBytes = kernel != null ? read(kernel) : boot == ImageBuilder.BootMode.HVM ? TinyKernel.bzImage()
                : boot == ImageBuilder.BootMode.PV ? TinyPvKernel.elf("amiforge image build") : null;
        ImageBuilder builder = ImageBuilder.from(rootDir).partition(partition)
                .boot(boot == null ? ImageBuilder.BootMode.NONE : boot)
                .kernel(kernelBytes).initrd(initrd == null ? null : read(initrd)).cmdline(cmdline)
                .bootCode(boot != ImageBuilder.BootMode.HVM ? null
                        : switch (loader) {
                            case "grub" -> new GrubBootChain(partition == ImageBuilder.PartitionScheme.GPT);
                            case "syslinux" -> new SyslinuxBootChain();
                            case "extlinux" -> new ExtlinuxBootChain();
                            default -> new AmiforgeBootChain();
                        });
        boolean qcow2 = format.equalsIgnoreCase("qcow2");
        Path partial = output.resolveSibling(output.getFileName() + ".partial");
        Path partialRaw = qcow2 ? output.resolveSibling(output.getFileName() + ".partial.raw") : partial;
        ImageBuilder.Result r;
        try {
            r = builder.buildRaw(partialRaw, size.bytes());
            if (qcow2) {
                try (Progress progress = progress("convert to qcow2", size.bytes(), progressOptions.requested(), false)) {
                    ImageConverter.convert(ImageSource.of(partialRaw).withFormat("raw"), partial, "qcow2", creation, true,
                            device -> ProgressDevice.wrap(device, progress));
                }
                Files.delete(partialRaw);
            }
            Files.move(partial, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (RuntimeException | IOException e) {
            Files.deleteIfExists(partialRaw); // no half-built image left behind
            Files.deleteIfExists(partial);
            throw e;
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("output", output.toString());
        json.put("format", qcow2 ? "qcow2" : "raw");
        json.put("virtualSize", size.bytes());
        json.put("partitionTable", partition.name().toLowerCase());
        json.put("rootPartition", Map.of("start", r.fsStartLba(), "sectors", r.fsSectors(), "filesystem", "ext2",
                "uuid", r.filesystem().uuid().toString(), "blockSize", r.filesystem().blockSize()));
        json.put("boot", boot == null ? "none" : boot.name().toLowerCase());
        if (boot == ImageBuilder.BootMode.HVM) {
            json.put("bootloader", loader);
        }
        if (r.payload() != null) {
            json.put("kernelExtents", extents(r.payload().kernel()));
            json.put("initrdExtents", extents(r.payload().initrd()));
        }
        json.put("warnings", r.warnings());
        StringBuilder text = new StringBuilder("%s: %d bytes, %s, ext2 root at LBA %d (%d sectors)%s".formatted(output, size.bytes(),
                partition.name().toLowerCase(), r.fsStartLba(), r.fsSectors(), boot == null ? "" : ", " + boot.name().toLowerCase() + " boot"));
        for (String w : r.warnings()) {
            text.append("\nwarning: ").append(w);
        }
        print(json, text.toString());
        return 0;
    }

    /** The output file: the FILE argument, or the old {@code -o FILE}; exactly one of them. */
    private static Path outputFile(Path positional, String dashO) {
        Path old = dashO != null && !CreationOptions.looksLikeOptions(dashO) ? Path.of(dashO) : null;
        if (positional != null && old != null) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "two output files: " + positional + " and -o " + dashO + " (give the file once, after ROOTDIR)");
        }
        if (positional == null && old == null) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "MissingParameter",
                    "no output file: give it after ROOTDIR (example: image build rootfs/ disk.raw --size 256M)");
        }
        return positional != null ? positional : old;
    }

    private static <E extends Enum<E>> E choice(String option, String value, Class<E> type) {
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(value)) {
                return e;
            }
        }
        throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                option + " " + value + ": expected one of " + java.util.Arrays.stream(type.getEnumConstants())
                        .map(e -> e.name().toLowerCase()).toList());
    }

    private static List<Map<String, Long>> extents(List<BootPayload.Extent> extents) {
        return extents.stream().map(e -> Map.of("lba", e.lba(), "sectors", e.sectors())).toList();
    }

    private static byte[] read(Path file) throws IOException {
        try {
            long size = Files.size(file);
            if (size > 1L << 30) {
                throw new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidParameterValue",
                        file + ": " + size + " bytes is more than the 1 GiB allowed for a kernel or initrd");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new AmiforgeException(AmiforgeException.Kind.NOT_FOUND, "FileNotFound", file + ": no such file");
        }
    }
}
