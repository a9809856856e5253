package io.amiforge.cli.image;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageSource;
import io.amiforge.imagefmt.qcow2.Qcow2Check;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code image check [-f FMT] [-r leaks|all] [--output=human|json] FILE}: checks a qcow2
 * image's refcounts against its metadata and repairs them when asked, as {@code qemu-img
 * check}: the same summary on stdout, one line per finding on stderr, the same JSON fields
 * (zero ones left out, as qemu-img does) and exit codes (0 clean, 2 corruptions left, 3 only
 * leaks left). Other formats have no checks here (a clear error, exit 3).
 */
@Command(name = "check",
        description = {"Check a qcow2 image's refcounts and metadata, and repair them with -r, as qemu-img check.",
            "Example: amiforge image check -r leaks disk.qcow2"})
public final class ImageCheckCommand extends ImageCommandBase {

    /** qemu-img check's exit code when corruptions are left. */
    static final int CORRUPTIONS_LEFT = 2;
    /** qemu-img check's exit code when only leaks are left. */
    static final int LEAKS_LEFT = 3;

    /** What {@code -r} repairs. */
    enum RepairMode { LEAKS, ALL }

    @Parameters(index = "0", paramLabel = "FILE", description = {"The image to check.", "Example: disk.qcow2"})
    Path file;

    @Option(names = {"-r", "--repair"}, paramLabel = "leaks|all",
            description = {"Repair leaked clusters only (leaks), or leaks and corruptions (all); the image is checked again afterwards.",
                "Example: -r all"})
    RepairMode repair;

    @Override
    protected int execute() {
        ImageSource source = imageOptions.source(file);
        String format = ImageFormats.formatOf(source).name();
        if (!format.equals("qcow2")) {
            throw new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "UnsupportedImageFeature",
                    file + ": image format " + format + " has no checks (amiforge checks qcow2 images)");
        }
        Qcow2Check.Repair mode = repair == null ? Qcow2Check.Repair.NONE : Qcow2Check.Repair.valueOf(repair.name());
        Qcow2Check.Result result = Qcow2Check.check(file, mode);
        for (String message : result.messages()) {
            err().println(message);
        }
        err().flush();
        print(json(result), human(result));
        return result.corruptions() > 0 ? CORRUPTIONS_LEFT : result.leaks() > 0 ? LEAKS_LEFT : 0;
    }

    /** qemu-img's JSON: check-errors always, the other figures only when not zero. */
    private Map<String, Object> json(Qcow2Check.Result r) {
        Map<String, Object> json = new LinkedHashMap<>();
        putNonZero(json, "image-end-offset", r.imageEndOffset());
        putNonZero(json, "total-clusters", r.totalClusters());
        json.put("check-errors", 0);
        putNonZero(json, "corruptions", r.corruptions());
        putNonZero(json, "leaks", r.leaks());
        putNonZero(json, "corruptions-fixed", r.corruptionsFixed());
        putNonZero(json, "leaks-fixed", r.leaksFixed());
        putNonZero(json, "allocated-clusters", r.allocatedClusters());
        json.put("filename", file.toString());
        json.put("format", "qcow2");
        putNonZero(json, "fragmented-clusters", r.fragmentedClusters());
        putNonZero(json, "compressed-clusters", r.compressedClusters());
        return json;
    }

    private static void putNonZero(Map<String, Object> json, String key, long value) {
        if (value != 0) {
            json.put(key, value);
        }
    }

    private static String human(Qcow2Check.Result r) {
        StringBuilder text = new StringBuilder();
        if (r.clean()) {
            if (r.corruptionsFixed() + r.leaksFixed() > 0) {
                text.append("The following inconsistencies were found and repaired:\n\n    %d leaked clusters\n    %d corruptions\n\n"
                        .formatted(r.leaksFixed(), r.corruptionsFixed()));
                text.append("Double checking the fixed image now...\n");
            }
            text.append("No errors were found on the image.\n");
        } else {
            if (r.corruptions() > 0) {
                text.append("\n%d errors were found on the image.\nData may be corrupted, or further writes to the image may corrupt it.\n"
                        .formatted(r.corruptions()));
            }
            if (r.leaks() > 0) {
                text.append("\n%d leaked clusters were found on the image.\nThis means waste of disk space, but no harm to data.\n"
                        .formatted(r.leaks()));
            }
        }
        if (r.totalClusters() != 0 && r.allocatedClusters() != 0) {
            double allocated = r.allocatedClusters();
            text.append(String.format(Locale.ROOT, "%d/%d = %.2f%% allocated, %.2f%% fragmented, %.2f%% compressed clusters\n",
                    r.allocatedClusters(), r.totalClusters(), allocated * 100 / r.totalClusters(),
                    r.fragmentedClusters() * 100 / allocated, r.compressedClusters() * 100 / allocated));
        }
        if (r.imageEndOffset() != 0) {
            text.append("Image end offset: ").append(r.imageEndOffset()).append('\n');
        }
        return text.toString();
    }
}
