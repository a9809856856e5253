package io.amiforge.cli.image;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.boot.hvm.AmiforgeBootChain;
import io.amiforge.boot.hvm.TinyKernel;
import io.amiforge.boot.pv.TinyPvKernel;
import io.amiforge.cli.common.CommandBase;
import io.amiforge.cli.common.Size;
import io.amiforge.imagefmt.build.BootPayload;
import io.amiforge.imagefmt.build.ImageBuilder;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageConverter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code amiforge image build ROOTDIR -o FILE --size S [--partition mbr|gpt|none] [--boot hvm|pv]
 * [--kernel F] [--initrd F] [--cmdline S] [-O raw|qcow2]}: a bootable disk image from a
 * directory tree (see {@link ImageBuilder}). Without {@code --kernel}, amiforge's own guest kernel
 * for the boot mode is installed (the tiny bzImage for HVM, the tiny Xen PV ELF for PV), so every
 * image boots with no download; HVM images get amiforge's boot chain. The image is built next to
 * FILE and renamed over it only when complete, so a failure leaves no half-built image and an
 * existing FILE untouched. Honours SOURCE_DATE_EPOCH.
 */
@Command(name = "build", mixinStandardHelpOptions = true, description = "Build a disk image from a directory tree.")
public final class ImageBuildCommand extends CommandBase {

    @Parameters(index = "0", paramLabel = "ROOTDIR", description = "Directory whose content becomes the root filesystem.")
    Path rootDir;

    @Option(names = "-o", required = true, paramLabel = "FILE", description = "Output image file.")
    Path output;

    @Option(names = "--size", required = true, paramLabel = "S", description = "Disk size (e.g. 256M, 2G).")
    Size size;

    @Option(names = "--partition", defaultValue = "mbr", paramLabel = "mbr|gpt|none", description = "Partition table (default mbr).")
    String partitionName;

    @Option(names = "--boot", paramLabel = "hvm|pv", description = "Make the image bootable this way.")
    String bootName;

    @Option(names = "--kernel", paramLabel = "F", description = "Kernel image (default: the project's tiny guest kernel).")
    Path kernel;

    @Option(names = "--initrd", paramLabel = "F", description = "Initrd (default: the registered one, if any).")
    Path initrd;

    @Option(names = "--cmdline", paramLabel = "S", description = "Kernel command line.")
    String cmdline;

    @Option(names = "-O", defaultValue = "raw", paramLabel = "raw|qcow2", description = "Output format (default raw).")
    String format;

    @Override
    protected int execute() throws IOException {
        ImageBuilder.PartitionScheme partition = choice("--partition", partitionName, ImageBuilder.PartitionScheme.class);
        ImageBuilder.BootMode boot = bootName == null ? null : choice("--boot", bootName, ImageBuilder.BootMode.class);
        if (!format.equalsIgnoreCase("raw") && !format.equalsIgnoreCase("qcow2")) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue", "-O " + format + ": expected raw or qcow2");
        }
        if ((kernel != null || initrd != null || cmdline != null) && (boot == null || boot == ImageBuilder.BootMode.NONE)) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "--kernel, --initrd and --cmdline need --boot hvm or --boot pv");
        }
        if (!Files.isDirectory(rootDir)) {
            throw new AmiforgeException(AmiforgeException.Kind.NOT_FOUND, "FileNotFound", rootDir + ": no such directory");
        }
        byte[] kernelBytes = kernel != null ? read(kernel) : boot == ImageBuilder.BootMode.HVM ? TinyKernel.bzImage()
                : boot == ImageBuilder.BootMode.PV ? TinyPvKernel.elf("amiforge image build") : null;
        ImageBuilder builder = ImageBuilder.from(rootDir).partition(partition)
                .boot(boot == null ? ImageBuilder.BootMode.NONE : boot)
                .kernel(kernelBytes).initrd(initrd == null ? null : read(initrd)).cmdline(cmdline)
                .bootCode(boot == ImageBuilder.BootMode.HVM ? new AmiforgeBootChain() : null);
        boolean qcow2 = format.equalsIgnoreCase("qcow2");
        Path partial = output.resolveSibling(output.getFileName() + ".partial");
        Path partialRaw = qcow2 ? output.resolveSibling(output.getFileName() + ".partial.raw") : partial;
        ImageBuilder.Result r;
        try {
            r = builder.buildRaw(partialRaw, size.bytes());
            if (qcow2) {
                ImageConverter.convert(partialRaw, partial, "qcow2", CreateOptions.defaults());
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
