package io.amiforge.cli.image;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.cli.common.CreationOptions;
import io.amiforge.cli.common.OutputPaths;
import io.amiforge.cli.common.Size;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageInfo;
import io.amiforge.imagefmt.format.OutputFile;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code image create [-f FMT] [-b BACKING [-F FMT]] [-o OPTS] FILE [SIZE]}: a new, empty image,
 * as {@code qemu-img create}. With a backing file and no size, the image is as large as its
 * backing file. The file is written beside FILE and renamed over it when complete.
 */
@Command(name = "create",
        description = {"Create a new, empty disk image (optionally over a backing file), as qemu-img create.",
            "Example: amiforge image create -f qcow2 -b base.raw -F raw top.qcow2"})
public final class ImageCreateCommand extends ImageCommandBase {

    @Parameters(index = "0", paramLabel = "FILE", description = {"The image file to create (replaced if it exists).", "Example: disk.qcow2"})
    Path file;

    @Parameters(index = "1", arity = "0..1", paramLabel = "SIZE",
            description = {"Virtual size: 512, 4K, 64M, 1G (default with -b: the backing file's size).", "Example: 10G"})
    Size size;

    @Option(names = {"-b", "--backing"}, paramLabel = "BACKING",
            description = {"Backing file, stored as given; a relative name is relative to FILE's directory.", "Example: -b base.raw"})
    String backingFile;

    @Option(names = {"-F", "--backing-format"}, paramLabel = "FMT",
            description = {"Format of the backing file, recorded in the image (then never probed).", "Example: -F raw"})
    String backingFormat;

    @Option(names = "-o", paramLabel = "OPTS",
            description = {"Creation options, key=value[,key=value]: qcow2 cluster_size, compat, lazy_refcounts, compression_type,"
                + " backing_file, backing_fmt, extended_l2 (32 subclusters per cluster, clusters of 16K or more),"
                + " preallocation=off|metadata|falloc|full, refcount_bits=1..64 (a power of two),"
                + " data_file=PATH (guest data in that raw file, relative to FILE's directory) and data_file_raw=on|off;"
                + " vpc subformat=dynamic|fixed; vmdk subformat=monolithicSparse|streamOptimized.",
                "Example: -o cluster_size=2M",
                "Example: -o extended_l2=on,cluster_size=128K (with -b: small writes copy only the subclusters they touch)",
                "Example: -o preallocation=metadata (or falloc, full: also reserve or write the data clusters)",
                "Example: -o refcount_bits=1 (or 2, 4, 8, 16, 32, 64)",
                "Example: -o data_file=disk.data,data_file_raw=on (disk.data alone then reads as the disk)"})
    String creationOptions;

    @Override
    protected int execute() {
        String format = imageOptions.format() == null ? "raw" : ImageFormats.byName(imageOptions.format()).name();
        if (imageOptions.dataFile() != null) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "--data-file names the data file of an image being opened; to create one, use -o data_file=PATH");
        }
        CreateOptions options = CreationOptions.apply(CreateOptions.defaults(), creationOptions, format);
        if (backingFile != null) {
            options = options.withBacking(backingFile, options.backingFormat());
        }
        if (backingFormat != null) {
            options = options.withBacking(options.backingFile(), ImageFormats.byName(backingFormat).name());
        }
        if (options.backingFormat() != null && options.backingFile() == null) {
            throw usage("InvalidParameterCombination", "-F " + options.backingFormat() + " names the format of a backing file, but -b gives none");
        }
        if (size == null && options.backingFile() == null) {
            throw usage("MissingParameter", "no SIZE: give it after FILE (example: image create -f qcow2 disk.qcow2 10G), or give -b");
        }
        OutputPaths.refuseInsideStore(file, global().store());
        long virtualSize = size == null ? -1 : size.bytes(); // -1: the backing file's size
        CreateOptions chosen = options;
        OutputFile.write(file, temp -> {
            try (BlockDevice created = ImageFormats.create(temp, format, virtualSize, chosen)) {
                created.flush();
                return created.size();
            }
        });
        ImageInfo info = ImageFormats.byName(format).info(file);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("file", file.toString());
        json.put("format", format);
        json.put("virtualSize", info.virtualSize());
        json.put("clusterSize", info.clusterSize() == 0 ? null : info.clusterSize());
        json.put("backingFile", info.backingFile());
        json.put("backingFormat", info.backingFormat());
        StringBuilder text = new StringBuilder("Formatting '").append(file).append("', fmt=").append(format);
        if (info.clusterSize() != 0) {
            text.append(" cluster_size=").append(info.clusterSize());
        }
        if (info.formatSpecific().get("compat") != null) {
            text.append(" compat=").append(info.formatSpecific().get("compat"));
        }
        if (info.backingFile() != null) {
            text.append(" backing_file=").append(info.backingFile());
        }
        if (info.backingFormat() != null) {
            text.append(" backing_fmt=").append(info.backingFormat());
        }
        text.append(" size=").append(info.virtualSize());
        print(json, text.toString());
        return 0;
    }

    private static AmiforgeException usage(String code, String message) {
        return new AmiforgeException(AmiforgeException.Kind.USAGE, code, message);
    }
}
