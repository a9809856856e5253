package io.amiforge.cli.common;

import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageSource;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options every command that opens an image file takes, as {@code qemu-img} does:
 * {@code -f/--format FMT} names the format (the file is then not probed) and
 * {@code --backing-dir DIR} names a directory backing files may also come from (see
 * {@code docs/image-formats.md}, "Backing files"). A picocli mixin.
 */
public final class ImageOptions {

    @Option(names = {"-f", "--format"}, paramLabel = "FMT",
            description = {"Image format (raw, qcow2); given, the file's content is not probed.", "Example: -f qcow2"})
    String format;

    @Option(names = "--backing-dir", paramLabel = "DIR",
            description = {"Also follow backing files inside DIR, absolute names included (default: only relative names"
                    + " inside the image's own directory).", "Example: --backing-dir /var/lib/images"})
    Path backingDir;

    @Option(names = "--data-file", paramLabel = "PATH",
            description = {"The external data file of a qcow2 image that has one (never opened just because the image names it).",
                    "Example: --data-file disk.data"})
    Path dataFile;

    /** {@code file} opened as these options say; an unknown format name is a usage error. */
    public ImageSource source(Path file) {
        ImageSource source = ImageSource.of(file).withBackingDir(backingDir).withDataFile(dataFile);
        if (format != null) {
            source = source.withFormat(ImageFormats.byName(format).name());
        }
        return source;
    }

    /** The data file named with --data-file, or null. */
    public Path dataFile() {
        return dataFile;
    }

    /** The format named with -f, or null. */
    public String format() {
        return format;
    }
}
