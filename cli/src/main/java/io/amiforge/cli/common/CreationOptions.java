package io.amiforge.cli.common;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.imagefmt.format.CreateOptions;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code -o OPTS}, qemu-img's creation options: {@code key=value} pairs separated by commas
 * ({@code cluster_size=64K,compat=1.1}), applied over {@link CreateOptions#defaults()}. Keys
 * are qemu-img's; a key qemu-img knows that amiforge's formats cannot honour yet is refused by
 * name rather than ignored, so an image is never silently different from what was asked.
 */
public final class CreationOptions {

    /** The keys accepted, in the order help lists them. */
    public static final List<String> KEYS = List.of("cluster_size", "compat", "backing_file", "backing_fmt", "compression_type",
            "lazy_refcounts", "extended_l2", "preallocation", "refcount_bits", "data_file", "data_file_raw", "subformat");
    /** qemu-img keys refused with a clear message until a format supports them. */
    private static final List<String> NOT_YET = List.of("encryption", "encrypt.format");
    /** The keys each writable format takes (as qemu-img's drivers); any other key is refused for that format. */
    private static final Map<String, List<String>> BY_FORMAT = Map.of(
            "raw", List.of(),
            "qcow2", List.of("cluster_size", "compat", "backing_file", "backing_fmt", "compression_type", "lazy_refcounts",
                    "extended_l2", "preallocation", "refcount_bits", "data_file", "data_file_raw"),
            "vpc", List.of("subformat", "backing_file", "backing_fmt"),
            "vmdk", List.of("subformat"),
            "vhdx", List.of("subformat"),
            "ova", List.of());
    /** The subformats each format writes. */
    private static final Map<String, List<String>> SUBFORMATS = Map.of(
            "vpc", List.of("dynamic", "fixed"),
            "vmdk", List.of("monolithicSparse", "streamOptimized"),
            "vhdx", List.of("dynamic"));

    private CreationOptions() {
    }

    /** {@code base} with the options {@code text} names (null: {@code base} unchanged). */
    public static CreateOptions apply(CreateOptions base, String text) {
        return apply(base, text, null);
    }

    /**
     * {@code base} with the options {@code text} names, each checked to be one that
     * {@code format} takes (null: any format's keys).
     */
    public static CreateOptions apply(CreateOptions base, String text, String format) {
        if (text == null || text.isBlank()) {
            return base;
        }
        List<String> allowed = format == null ? KEYS : BY_FORMAT.getOrDefault(format.toLowerCase(Locale.ROOT), KEYS);
        CreateOptions options = base;
        for (String pair : text.split(",")) {
            int equals = pair.indexOf('=');
            if (equals <= 0) {
                throw usage("'" + pair + "' is not key=value (example: -o cluster_size=64K,compat=1.1)");
            }
            String key = pair.substring(0, equals).trim().toLowerCase(Locale.ROOT);
            String value = pair.substring(equals + 1).trim();
            if (KEYS.contains(key) && !allowed.contains(key)) {
                throw usage("creation option '" + key + "' does not apply to format " + format + " (it takes: "
                        + (allowed.isEmpty() ? "none" : String.join(", ", allowed)) + ")");
            }
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
                case "compression_type" -> {
                    if (!value.equals("zlib") && !value.equals("zstd")) {
                        throw usage("compression_type=" + value + ": expected zlib or zstd");
                    }
                    yield options.withCompressionType(value);
                }
                case "lazy_refcounts" -> options.withLazyRefcounts(bool(key, value));
                case "extended_l2" -> options.withExtendedL2(bool(key, value));
                case "data_file" -> {
                    if (value.isEmpty()) {
                        throw usage("data_file=: expected a file name (example: -o data_file=disk.data)");
                    }
                    yield options.withDataFile(value, options.dataFileRaw());
                }
                case "data_file_raw" -> options.withDataFile(options.dataFile(), bool(key, value));
                case "preallocation" -> {
                    if (!List.of("off", "metadata", "falloc", "full").contains(value)) {
                        throw usage("preallocation=" + value + ": expected off, metadata, falloc or full");
                    }
                    yield options.withPreallocation(value);
                }
                case "refcount_bits" -> {
                    int bits = value.matches("[0-9]{1,2}") ? Integer.parseInt(value) : 0;
                    if (bits < 1 || bits > 64 || Integer.bitCount(bits) != 1) {
                        throw usage("refcount_bits=" + value + ": expected a power of two from 1 to 64 (1, 2, 4, 8, 16, 32, 64)");
                    }
                    yield options.withRefcountBits(bits);
                }
                case "subformat" -> {
                    List<String> known = SUBFORMATS.get(format == null ? "" : format.toLowerCase(Locale.ROOT));
                    if (known != null && !known.contains(value)) {
                        throw usage("subformat=" + value + ": format " + format + " writes " + String.join(" or ", known));
                    }
                    yield options.withSubformat(value);
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

    private static boolean bool(String key, String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "on", "true", "yes" -> true;
            case "off", "false", "no" -> false;
            default -> throw usage(key + "=" + value + ": expected on or off");
        };
    }

    /** Whether {@code text} reads as creation options (has a {@code key=value} pair) rather than a file name. */
    public static boolean looksLikeOptions(String text) {
        return text.indexOf('=') > 0;
    }

    private static AmiforgeException usage(String message) {
        return new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue", "-o: " + message);
    }
}
