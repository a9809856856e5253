package io.amiforge.cli.image;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.cli.common.CommandBase;
import io.amiforge.cli.common.ImageOptions;
import io.amiforge.cli.common.OutputPaths;
import io.amiforge.cli.common.Size;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageConverter;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageInfo;
import io.amiforge.imagefmt.format.ImageSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code image convert SRC DST -O raw|qcow2}: copies an image, flattening its backing chain,
 * into a new file. Zeros stay sparse: holes in raw, unallocated clusters in qcow2.
 */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert a disk image (with its backing chain, flattened) to raw or qcow2.")
public final class ImageConvertCommand extends CommandBase {

    @Parameters(index = "0", paramLabel = "SRC", description = "Source image (format probed by content unless -f names it).")
    Path source;

    @Mixin
    ImageOptions imageOptions = new ImageOptions();


    @Parameters(index = "1", paramLabel = "DST", description = "Target file (replaced once the copy is complete; never inside the store).")
    Path target;

    @Option(names = "-O", required = true, paramLabel = "FORMAT", description = "Target format: raw or qcow2.")
    String format;

    @Option(names = "--cluster-size", paramLabel = "SIZE", description = "qcow2 cluster size, 512 to 2M (default 64K).")
    Size clusterSize;

    @Option(names = "--compat", paramLabel = "LEVEL", description = "qcow2 compatibility level: 1.1 (default) or 0.10.")
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
            if (clusterSize.bytes() > Integer.MAX_VALUE) {
                throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                        "cluster size " + clusterSize.bytes() + " is too large (at most 2M)");
            }
            options = options.withClusterSize((int) clusterSize.bytes());
        }
        if (compat != null) {
            options = options.withCompat(compat);
        }
        OutputPaths.refuseInsideStore(target, global().store());
        ImageSource src = imageOptions.source(source);
        ImageInfo info = ImageFormats.info(src);
        long data = ImageConverter.convert(src, target, format, options);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("source", source.toString());
        json.put("sourceFormat", info.format());
        json.put("target", target.toString());
        json.put("format", format.toLowerCase(java.util.Locale.ROOT));
        json.put("virtualSize", info.virtualSize());
        json.put("dataBytes", data);
        print(json, "converted %s (%s, %d layer%s) to %s (%s): %d bytes of data written"
                .formatted(source, info.format(), info.backingChain().size(), info.backingChain().size() == 1 ? "" : "s",
                        target, format, data));
        return 0;
    }
}
