package io.amiforge.cli.common;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.imagefmt.format.CreateOptions;
import java.util.List;
import java.util.Locale;

/**
 * {@code -o OPTS}, qemu-img's creation options: {@code key=value} pairs separated by commas
 * ({@code cluster_size=64K,compat=1.1}), applied over {@link CreateOptions#defaults()}. Keys
 * are qemu-img's; a key qemu-img knows that amiforge's formats cannot honour yet is refused by
 * name rather than ignored, so an image is never silently different from what was asked.
 */
public final class CreationOptions {

    /** The keys accepted, in the order help lists them. */
    public static final List<String> KEYS = List.of("cluster_size", "compat", "backing_file", "backing_fmt");
    /** qemu-img keys refused with a clear message until a format supports them. */
    private static final List<String> NOT_YET = List.of("compression_type", "extended_l2", "subformat", "preallocation",
            "data_file", "lazy_refcounts", "refcount_bits", "encryption", "encrypt.format");

    private CreationOptions() {
    }

    /** {@code base} with the options {@code text} names (null: {@code base} unchanged). */
    public static CreateOptions apply(CreateOptions base, String text) {
        if (text == null || text.isBlank()) {
            return base;
        }
        CreateOptions options = base;
        for (String pair : text.split(",")) {
            int equals = pair.indexOf('=');
            if (equals <= 0) {
                throw usage("'" + pair + "' is not key=value (example: -o cluster_size=64K,compat=1.1)");
            }
            String key = pair.substring(0, equals).trim().toLowerCase(Locale.ROOT);
            String value = pair.substring(equals + 1).trim();
            options = switch (key) {
                case "cluster_size" -> {
                    long bytes = Size.parse(value).bytes();
                    if (bytes < 512 || bytes > 2 << 20 || Long.bitCount(bytes) != 1) {
                        throw usage("cluster_size=" + value + ": expected a power of two from 512 to 2M");
                    }
                    yield options.withClusterSize((int) bytes);
                }
                case "compat" -> {
                    if (!value.equals("1.1") && !value.equals("0.10") && !value.equals("v3") && !value.equals("v2")) {
                        throw usage("compat=" + value + ": expected 1.1 (or v3) or 0.10 (or v2)");
                    }
                    yield options.withCompat(value.equals("v3") ? "1.1" : value.equals("v2") ? "0.10" : value);
                }
                case "backing_file" -> options.withBacking(value, options.backingFormat());
                case "backing_fmt" -> options.withBacking(options.backingFile(), value);
                default -> throw usage(NOT_YET.contains(key)
                        ? "creation option '" + key + "' is not supported by amiforge's formats yet (supported: " + KEYS + ")"
                        : "unknown creation option '" + key + "' (supported: " + KEYS + ")");
            };
        }
        return options;
    }

    /** Whether {@code text} reads as creation options (has a {@code key=value} pair) rather than a file name. */
    public static boolean looksLikeOptions(String text) {
        return text.indexOf('=') > 0;
    }

    private static AmiforgeException usage(String message) {
        return new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue", "-o: " + message);
    }
}
