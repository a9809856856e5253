package io.amiforge.imagefmt.vmdk;

import io.amiforge.imagefmt.format.ImageFormatException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A VMDK text descriptor (a descriptor file, or the one embedded in a sparse extent): the
 * {@code key=value} lines ({@code createType}, {@code CID}, {@code parentCID}, ddb entries)
 * and the extent lines, {@code ACCESS SECTORS TYPE ["FILE" [OFFSET]]}.
 *
 * @param values  every {@code key=value} line, quotes removed, in order
 * @param extents the extent lines, in guest order
 */
record VmdkDescriptor(Map<String, String> values, List<Extent> extents) {

    /** The most bytes of descriptor text read. */
    static final int MAX_BYTES = 1 << 20;

    /**
     * One extent line.
     *
     * @param access  RW, RDONLY or NOACCESS
     * @param sectors guest sectors it holds
     * @param type    FLAT, SPARSE, ZERO, VMFS, VMFSSPARSE (upper case)
     * @param file    the extent file's name as written, or null (ZERO)
     * @param offset  FLAT: sectors to skip at the start of the file
     */
    record Extent(String access, long sectors, String type, String file, long offset) {
    }

    /** The descriptor's {@code createType} ("monolithicSparse", ...), or null. */
    public String createType() {
        return values.get("createType");
    }

    /** Parses {@code text} from {@code file}; {@code at} is the text's file offset, for messages. */
    static VmdkDescriptor parse(String file, String text, long at) {
        Map<String, String> values = new LinkedHashMap<>();
        List<Extent> extents = new ArrayList<>();
        int lineNo = 0;
        for (String raw : text.split("\n")) {
            lineNo++;
            String line = raw.strip();
            int nul = line.indexOf('\0');
            if (nul >= 0) {
                line = line.substring(0, nul).strip();
            }
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] words = line.split("\\s+", 4);
            String first = words[0].toUpperCase(Locale.ROOT);
            if (first.equals("RW") || first.equals("RDONLY") || first.equals("NOACCESS")) {
                extents.add(extent(file, at, lineNo, line, words));
            } else if (line.indexOf('=') > 0) {
                int eq = line.indexOf('=');
                values.put(line.substring(0, eq).strip(), unquote(line.substring(eq + 1).strip()));
            } else {
                throw ImageFormatException.corrupt(file, "VMDK descriptor (file offset %d) line %d is neither key=value nor an extent: '%s'"
                        .formatted(at, lineNo, printable(line)));
            }
        }
        return new VmdkDescriptor(values, List.copyOf(extents));
    }

    private static Extent extent(String file, long at, int lineNo, String line, String[] words) {
        if (words.length < 3) {
            throw badExtent(file, at, lineNo, line, "too few fields");
        }
        long sectors;
        try {
            sectors = Long.parseLong(words[1]);
        } catch (NumberFormatException e) {
            throw badExtent(file, at, lineNo, line, "size '" + printable(words[1]) + "' is not a number");
        }
        if (sectors < 0 || sectors > (1L << 54)) {
            throw badExtent(file, at, lineNo, line, "size " + sectors + " sectors is out of range");
        }
        String type = words[2].toUpperCase(Locale.ROOT);
        String name = null;
        long offset = 0;
        if (words.length == 4) {
            String rest = words[3].strip();
            if (!rest.startsWith("\"") || rest.indexOf('"', 1) < 0) {
                throw badExtent(file, at, lineNo, line, "file name is not in double quotes");
            }
            int close = rest.indexOf('"', 1);
            name = rest.substring(1, close);
            String tail = rest.substring(close + 1).strip();
            if (!tail.isEmpty()) {
                try {
                    offset = Long.parseLong(tail.split("\\s+")[0]);
                } catch (NumberFormatException e) {
                    throw badExtent(file, at, lineNo, line, "offset '" + printable(tail) + "' is not a number");
                }
                if (offset < 0) {
                    throw badExtent(file, at, lineNo, line, "offset " + offset + " is negative");
                }
            }
        } else if (!type.equals("ZERO")) {
            throw badExtent(file, at, lineNo, line, "a " + type + " extent needs a file name");
        }
        return new Extent(words[0].toUpperCase(Locale.ROOT), sectors, type, name, offset);
    }

    private static ImageFormatException badExtent(String file, long at, int lineNo, String line, String why) {
        return ImageFormatException.corrupt(file, "VMDK descriptor (file offset %d) extent line %d '%s': %s"
                .formatted(at, lineNo, printable(line), why));
    }

    private static String unquote(String value) {
        return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"") ? value.substring(1, value.length() - 1) : value;
    }

    private static String printable(String text) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < Math.min(text.length(), 200); i++) {
            char c = text.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\x%02x", (int) c & 0xff));
        }
        return text.length() > 200 ? out + "..." : out.toString();
    }

    /** A descriptor for a single-extent disk of {@code sectors} sectors in {@code extentFile}. */
    static String render(String createType, long sectors, String extentType, String extentFile, int cid) {
        long cylinders = Math.min(65535, sectors / (16 * 63));
        return """
                # Disk DescriptorFile
                version=1
                CID=%08x
                parentCID=ffffffff
                createType="%s"

                # Extent description
                RW %d %s "%s"

                # The Disk Data Base
                #DDB

                ddb.virtualHWVersion = "4"
                ddb.geometry.cylinders = "%d"
                ddb.geometry.heads = "16"
                ddb.geometry.sectors = "63"
                ddb.adapterType = "ide"
                ddb.toolsVersion = "2147483647"
                """.formatted(cid, createType, sectors, extentType, extentFile, cylinders);
    }
}
