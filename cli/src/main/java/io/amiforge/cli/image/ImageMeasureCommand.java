package io.amiforge.cli.image;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.cli.common.CreationOptions;
import io.amiforge.cli.common.Size;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageFormats;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code image measure [-f FMT] [-O FMT] [-o OPTS] (--size SIZE | FILE)}: the file size a
 * conversion to {@code -O} (default raw) needs, as {@code qemu-img measure}: {@code required}
 * for FILE's data, {@code fully allocated} for every cluster. JSON uses qemu-img's field names.
 */
@Command(name = "measure",
        description = {"Say how large an image would be in a format (required, fully allocated), as qemu-img measure.",
            "Example: amiforge image measure -O qcow2 disk.raw"})
public final class ImageMeasureCommand extends ImageCommandBase {

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE",
            description = {"The image to measure (its data, chain included); or give --size.", "Example: disk.raw"})
    Path file;

    @Option(names = "--size", paramLabel = "SIZE",
            description = {"Measure an empty image of this virtual size instead of a file.", "Example: --size 10G"})
    Size size;

    @Option(names = "-O", defaultValue = "raw", paramLabel = "FMT",
            description = {"The format to measure for (default raw, as qemu-img).", "Example: -O qcow2"})
    String format;

    @Option(names = "-o", paramLabel = "OPTS",
            description = {"Creation options of the target, key=value[,key=value]: cluster_size, compat.", "Example: -o cluster_size=1M"})
    String creationOptions;

    @Override
    protected int execute() {
        if ((file == null) == (size == null)) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterCombination",
                    "give either FILE or --size (example: image measure -O qcow2 disk.raw, or image measure -O qcow2 --size 10G)");
        }
        String target = ImageFormats.byName(format).name();
        CreateOptions options = CreationOptions.apply(CreateOptions.defaults(), creationOptions);
        if (options.extendedL2() || options.refcountBits() != 16 || options.dataFile() != null
                || options.preallocation() != null && !options.preallocation().equals("off")) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "-o: image measure sizes qcow2 with 8-byte L2 entries, 16-bit refcounts and no preallocation;"
                            + " extended_l2, refcount_bits, preallocation and data_file are not measured yet");
        }
        long virtualSize;
        long data;
        if (file == null) {
            virtualSize = size.bytes();
            data = 0;
        } else {
            try (BlockDevice device = ImageFormats.open(imageOptions.source(file), true)) {
                virtualSize = device.size();
                data = target.equals("qcow2") ? Measure.dataClusters(device, options.clusterSize()) : 0;
            }
        }
        Measure.Sizes sizes = switch (target) {
            case "qcow2" -> Measure.qcow2(virtualSize, data, options.clusterSize());
            case "raw" -> Measure.raw(virtualSize);
            default -> throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "image measure does not know how " + target + " lays out its data yet (it knows raw and qcow2)");
        };
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("required", sizes.required());
        json.put("fully-allocated", sizes.fullyAllocated());
        print(json, "required size: " + sizes.required() + "\nfully allocated size: " + sizes.fullyAllocated());
        return 0;
    }
}
