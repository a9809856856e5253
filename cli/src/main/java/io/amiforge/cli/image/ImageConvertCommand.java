package io.amiforge.cli.image;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.cli.common.CreationOptions;
import io.amiforge.cli.common.OutputPaths;
import io.amiforge.cli.common.Progress;
import io.amiforge.cli.common.ProgressDevice;
import io.amiforge.cli.common.Size;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageConverter;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageInfo;
import io.amiforge.imagefmt.format.ImageSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code image convert [-f FMT] [-O FMT] [-o OPTS] [-B BASE [-F FMT]] [-p] SRC DST}: copies an
 * image, flattening its backing chain, into a new file, as {@code qemu-img convert}. Zeros stay
 * sparse: holes in raw, unallocated clusters in qcow2. With {@code -B} the target is created over
 * BASE and holds only what differs from it.
 */
@Command(name = "convert",
        description = {"Convert a disk image (with its backing chain, flattened) to another format.",
            "Example: amiforge image convert -p -O qcow2 -o cluster_size=64K disk.raw disk.qcow2",
            "Example: amiforge image convert -O vhdx -B base.vhdx -F vhdx disk.qcow2 delta.vhdx"})
public final class ImageConvertCommand extends ImageCommandBase {

    @Parameters(index = "0", paramLabel = "SRC",
            description = "Source image (format probed by content unless -f names it). Example: disk.raw")
    Path source;

    @Parameters(index = "1", paramLabel = "DST",
            description = "Target file (replaced once the copy is complete; never inside the store). Example: disk.qcow2")
    Path target;

    @Option(names = "-O", defaultValue = "raw", paramLabel = "FMT",
            description = "Target format (default raw, as qemu-img). Example: -O qcow2")
    String format;

    @Option(names = "-o", paramLabel = "OPTS",
            description = {"Creation options, key=value[,key=value]: qcow2 cluster_size, compat, lazy_refcounts, compression_type,"
                    + " extended_l2, preallocation=off|metadata|falloc|full, refcount_bits=1..64, data_file=PATH, data_file_raw;"
                    + " vpc subformat=dynamic|fixed; vmdk subformat=monolithicSparse|streamOptimized.",
                    "Example: -o cluster_size=1M,compat=0.10",
                    "Example: -o extended_l2=on,cluster_size=128K",
                    "Example: -o preallocation=full",
                    "Example: -o refcount_bits=64",
                    "Example: -o data_file=out.data,data_file_raw=on"})
    String creationOptions;

    @Option(names = "-c", description = "Store every cluster compressed (qcow2; zlib, or zstd with -o compression_type=zstd),"
            + " as qemu-img convert -c. Example: -c")
    boolean compress;

    @Option(names = "-B", paramLabel = "BASE",
            description = {"Write only what differs from BASE, which becomes DST's backing file (stored as given; a relative name is"
                    + " relative to DST's directory), as qemu-img convert -B; DST then reads as SRC. Differences are found by"
                    + " comparing contents, so BASE need not be SRC's own backing file. Targets: qcow2, vhdx (BASE a VHDX of the"
                    + " same size: a differencing VHDX), vpc.", "Example: -O vhdx -B base.vhdx"})
    String base;

    @Option(names = "-F", paramLabel = "FMT",
            description = {"Format of BASE, recorded in DST (then never probed; needs -B).", "Example: -B base.raw -F raw"})
    String baseFormat;

    @Option(names = "--cluster-size", hidden = true, paramLabel = "SIZE",
            description = "Old spelling of -o cluster_size=SIZE. Example: --cluster-size 64K")
    Size clusterSize;

    @Option(names = "--compat", hidden = true, paramLabel = "LEVEL",
            description = "Old spelling of -o compat=LEVEL. Example: --compat 0.10")
    String compat;

    @Override
    protected int execute() throws Exception {
        ImageFormats.byName(format);
        if (Files.exists(target) && Files.isSameFile(source, target)) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "source and target are the same file: " + target);
        }
        CreateOptions options = CreateOptions.defaults();
        if (clusterSize != null) {
            options = CreationOptions.apply(options, "cluster_size=" + clusterSize.bytes());
        }
        if (compat != null) {
            options = CreationOptions.apply(options, "compat=" + compat);
        }
        options = CreationOptions.apply(options, creationOptions, ImageFormats.byName(format).name());
        if (baseFormat != null && base == null) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterCombination",
                    "-F " + baseFormat + " names the format of a backing file, but -B gives none");
        }
        if (base != null) {
            options = options.withBacking(base, baseFormat == null ? null : ImageFormats.byName(baseFormat).name());
        }
        if (compress) {
            if (!ImageFormats.byName(format).name().equals("qcow2")) {
                throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                        "-c: compressed output needs -O qcow2 (for VMDK use -o subformat=streamOptimized)");
            }
            options = options.withCompressed(true);
        }
        OutputPaths.refuseInsideStore(target, global().store());
        ImageSource src = imageOptions.source(source);
        ImageInfo info = ImageFormats.info(src);
        long data;
        try (Progress progress = progress("convert", info.virtualSize(), progressOptions.requested(), false)) {
            data = ImageConverter.convert(src, target, format, options, true, device -> ProgressDevice.wrap(device, progress));
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("source", source.toString());
        json.put("sourceFormat", info.format());
        json.put("target", target.toString());
        json.put("format", format.toLowerCase(Locale.ROOT));
        if (base != null) {
            json.put("backingFile", base);
        }
        json.put("virtualSize", info.virtualSize());
        json.put("dataBytes", data);
        print(json, "converted %s (%s, %d layer%s) to %s (%s%s): %d bytes of data written"
                .formatted(source, info.format(), info.backingChain().size(), info.backingChain().size() == 1 ? "" : "s",
                        target, format, base == null ? "" : " over " + base, data));
        return 0;
    }
}
