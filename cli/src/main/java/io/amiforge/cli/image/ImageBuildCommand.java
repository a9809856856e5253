package io.amiforge.cli.image;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.cli.CommandBase;
import io.amiforge.cli.Size;
import io.amiforge.imagefmt.build.BootPayload;
import io.amiforge.imagefmt.build.ImageBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code amiforge image build ROOTDIR -o FILE --size S [--partition mbr|gpt|none] [--boot hvm|pv]
 * [--kernel F] [--initrd F] [--cmdline S] [-O raw|qcow2]}: a bootable disk image from a
 * directory tree (see {@link ImageBuilder}). Without {@code --kernel}/{@code --initrd} and for
 * the HVM boot code, the defaults registered in {@code io.amiforge.imagefmt.build.BootDefaults}
 * are used. Honours SOURCE_DATE_EPOCH. The integrator adds this class to the {@code image} group.
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
        if (format.equalsIgnoreCase("qcow2")) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "UnsupportedOperation",
                    "-O qcow2 is not yet available for image build; build with -O raw and use 'image convert'");
        }
        if ((kernel != null || initrd != null || cmdline != null) && (boot == null || boot == ImageBuilder.BootMode.NONE)) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "--kernel, --initrd and --cmdline need --boot hvm or --boot pv");
        }
        if (!Files.isDirectory(rootDir)) {
            throw new AmiforgeException(AmiforgeException.Kind.NOT_FOUND, "FileNotFound", rootDir + ": no such directory");
        }
        ImageBuilder builder = ImageBuilder.from(rootDir).partition(partition)
                .boot(boot == null ? ImageBuilder.BootMode.NONE : boot)
                .kernel(kernel == null ? null : read(kernel)).initrd(initrd == null ? null : read(initrd)).cmdline(cmdline);
        ImageBuilder.Result r;
        try {
            r = builder.buildRaw(output, size.bytes());
        } catch (RuntimeException e) {
            Files.deleteIfExists(output); // no half-built image left behind
            throw e;
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("output", output.toString());
        json.put("format", "raw");
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
