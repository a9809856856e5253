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
            description = {"Creation options of the target, key=value[,key=value], as image create takes them (qcow2: cluster_size,"
                + " extended_l2, refcount_bits, preallocation, data_file, compression_type, compat, lazy_refcounts, backing_file).",
                "Example: -o cluster_size=1M,extended_l2=on"})
    String creationOptions;

    @Override
    protected int execute() {
        if ((file == null) == (size == null)) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterCombination",
                    "give either FILE or --size (example: image measure -O qcow2 disk.raw, or image measure -O qcow2 --size 10G)");
        }
        String target = ImageFormats.byName(format).name();
        CreateOptions options = CreationOptions.apply(CreateOptions.defaults(), creationOptions, target);
        if (!target.equals("qcow2") && !target.equals("raw")) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "image measure does not know how " + target + " lays out its data yet (it knows raw and qcow2)");
        }
        if (target.equals("qcow2")) {
            Measure.checkQcow2(options); // before any file is read, as qemu-img
        }
        long virtualSize;
        long data = 0;
        if (file == null) {
            virtualSize = size.bytes();
        } else {
            try (BlockDevice device = ImageFormats.open(imageOptions.source(file), true)) {
                virtualSize = device.size();
                if (target.equals("qcow2")) { // with a backing file, qemu-img assumes it shares nothing with FILE
                    data = options.backingFile() != null ? Math.ceilDiv(virtualSize, options.clusterSize()) * options.clusterSize()
                            : Measure.dataClusters(device, options.clusterSize());
                }
            }
        }
        Measure.Sizes sizes = target.equals("qcow2") ? Measure.qcow2(virtualSize, data, options) : Measure.raw(virtualSize);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("required", sizes.required());
        json.put("fully-allocated", sizes.fullyAllocated());
        print(json, "required size: " + sizes.required() + "\nfully allocated size: " + sizes.fullyAllocated());
        return 0;
    }
}
