package io.amiforge.cli.image;

import io.amiforge.cli.common.Progress;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageSource;
import io.amiforge.imagefmt.qcow2.Qcow2Rebase;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code image rebase -b NEW [-F FMT] [-u] [-f FMT] [-p] FILE}: changes a qcow2 image's
 * backing file, as {@code qemu-img rebase}: safe by default (the image keeps reading the same:
 * what the old chain gave and the new backing file does not is copied into it), or only the
 * name with {@code -u}. {@code -b ""} removes the backing file.
 */
@Command(name = "rebase",
        description = {"Change a qcow2 image's backing file, keeping its content (or only the name with -u), as qemu-img rebase.",
            "Example: amiforge image rebase -b base.qcow2 -F qcow2 top.qcow2"})
public final class ImageRebaseCommand extends ImageCommandBase {

    @Parameters(index = "0", paramLabel = "FILE", description = {"The qcow2 image to rebase.", "Example: top.qcow2"})
    Path file;

    @Option(names = {"-b", "--backing"}, required = true, paramLabel = "BACKING",
            description = {"The new backing file, relative to FILE's directory (\"\" for none).", "Example: -b base.qcow2"})
    String backing;

    @Option(names = {"-F", "--backing-format"}, paramLabel = "FMT",
            description = {"Format of the new backing file, recorded in the image (default: probed, then recorded).", "Example: -F raw"})
    String backingFormat;

    @Option(names = {"-u", "--unsafe"},
            description = {"Only rewrite the backing file name: the caller promises the new file has the old content.", "Example: -u"})
    boolean unsafe;

    @Override
    protected int execute() {
        ImageSource source = imageOptions.source(file);
        long size = ImageFormats.info(source).virtualSize();
        try (Progress progress = progress("rebase", unsafe ? 0 : size, progressOptions.requested(), false)) {
            Qcow2Rebase.rebase(source, backing, backingFormat, unsafe, progress::add);
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("file", file.toString());
        json.put("backingFile", backing.isEmpty() ? null : backing);
        json.put("backingFormat", ImageFormats.info(ImageSource.of(file).withFormat("qcow2")).backingFormat());
        json.put("safe", !unsafe);
        print(json, null);
        return 0;
    }
}
