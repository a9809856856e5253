package io.amiforge.cli.image;

import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code image map [-f FMT] [--output=human|json] FILE}: which layer of the backing chain answers
 * for each guest range, and where its data lies in that file, as {@code qemu-img map}. JSON is a
 * list of {@code {start, length, depth, present, zero, data, offset}} (offset only where the data
 * has one), qemu-img's field names; the human form lists the mapped data ranges.
 */
@Command(name = "map",
        description = {"Show where each guest range of an image comes from (layer, data or zeros, file offset), as qemu-img map.",
            "Example: amiforge image map --output=json top.qcow2"})
public final class ImageMapCommand extends ImageCommandBase {

    @Parameters(index = "0", paramLabel = "FILE", description = {"The image (format probed by content unless -f names it).", "Example: top.qcow2"})
    Path file;

    @Override
    protected int execute() {
        ImageSource source = imageOptions.source(file);
        List<LayerMap.Entry> entries = LayerMap.of(source);
        List<Map<String, Object>> json = new ArrayList<>();
        for (LayerMap.Entry e : entries) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("start", e.start());
            m.put("length", e.length());
            m.put("depth", e.depth());
            m.put("present", e.present());
            m.put("zero", e.zero());
            m.put("data", e.data());
            if (e.offset() >= 0) {
                m.put("offset", e.offset());
            }
            json.add(m);
        }
        print(json, json() ? null : human(entries, ChainNames.of(file, ImageFormats.info(source))));
        return 0;
    }

    /**
     * qemu-img's human map: one line per range of stored data, with the file that holds it. Where
     * qemu-img refuses the table (compressed data, offsets a format does not give), the column
     * says {@code (compressed)} or {@code (unknown)}.
     */
    private static String human(List<LayerMap.Entry> entries, List<String> files) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-16s%-16s%-16s%s%n", "Offset", "Length", "Mapped to", "File"));
        for (LayerMap.Entry e : entries) {
            if (!e.data() || e.zero()) {
                continue; // as qemu-img: data that reads as zeros (a hole in a plain region) is not listed
            }
            out.append(String.format(Locale.ROOT, "%-16s%-16s%-16s%s%n", hex(e.start()), hex(e.length()),
                    e.offset() >= 0 ? hex(e.offset()) : e.compressed() ? "(compressed)" : "(unknown)",
                    e.file() != null ? e.file() : files.get(e.depth())));
        }
        return out.toString();
    }

    private static String hex(long value) {
        return value == 0 ? "0" : "0x" + Long.toHexString(value);
    }
}
