package io.amiforge.cli.image;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.cli.common.Size;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageSource;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code image resize [--shrink] [-f FMT] FILE [+|-]SIZE}: changes an image's virtual size, as
 * {@code qemu-img resize} (raw and qcow2). A grown range reads as zeros; shrinking drops the
 * data past the new end and must be asked for with {@code --shrink}.
 */
@Command(name = "resize",
        description = {"Grow or shrink an image's virtual size, as qemu-img resize (raw and qcow2).",
            "Example: amiforge image resize disk.qcow2 +1G"})
public final class ImageResizeCommand extends ImageCommandBase {

    @Parameters(index = "0", paramLabel = "FILE", description = {"The image to resize.", "Example: disk.qcow2"})
    Path file;

    @Parameters(index = "1", paramLabel = "[+|-]SIZE",
            description = {"The new size, or +SIZE / -SIZE relative to the current one (512, 4K, 64M, 1G).", "Example: +512M"})
    String size;

    @Option(names = "--shrink", description = {"Allow the new size to be smaller: the data past it is lost.", "Example: --shrink"})
    boolean shrink;

    @Override
    protected int execute() {
        ImageSource source = imageOptions.source(file);
        long old = ImageFormats.info(source).virtualSize();
        long wanted = newSize(old);
        if (wanted < old && !shrink) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue", "the new size " + wanted
                    + " is smaller than the current " + old + ": give --shrink to drop the data past it");
        }
        ImageFormats.resize(source, wanted);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("file", file.toString());
        json.put("oldSize", old);
        json.put("newSize", wanted);
        print(json, "Image resized.");
        return 0;
    }

    private long newSize(long old) {
        boolean relative = size.startsWith("+") || size.startsWith("-");
        long bytes = Size.parse(relative ? size.substring(1) : size).bytes();
        long result = !relative ? bytes : size.startsWith("+") ? Math.addExact(old, bytes) : old - bytes;
        if (result < 0) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "the new size would be negative (" + old + " - " + bytes + ")");
        }
        return result;
    }
}
