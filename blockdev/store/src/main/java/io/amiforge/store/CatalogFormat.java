package io.amiforge.store;

import io.amiforge.store.Catalog.SnapshotRecord;
import io.amiforge.store.Catalog.VolumeRecord;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The catalog's text format: one line per record, {@code volume|snapshot key=value ...} with
 * URL-encoded keys and values; a saved catalog ends with {@code crc <crc32c>} over everything
 * before it, and each batch of the log with {@code commit <crc32c of the batch>}. The log also
 * holds deletions, {@code delete-volume name=N} and {@code delete-snapshot id=I} (store format 2).
 */
final class CatalogFormat {

    /** The log record of a deleted volume ({@code name=}). */
    static final String DELETE_VOLUME = "delete-volume";
    /** The log record of a deleted snapshot ({@code id=}). */
    static final String DELETE_SNAPSHOT = "delete-snapshot";

    private CatalogFormat() {
    }

    /** A volume record from its fields. */
    static VolumeRecord volume(Map<String, String> f) {
        VolumeRecord v = new VolumeRecord();
        v.name = f.get("name");
        v.id = f.get("id");
        v.size = Long.parseLong(f.get("size"));
        v.blockSize = Integer.parseInt(f.get("bs"));
        v.write = f.get("write");
        v.read = f.get("read");
        v.parent = f.get("parent");
        v.base = f.get("base");
        v.layer = f.get("layer");
        v.gen = Integer.parseInt(f.get("gen"));
        v.created = Instant.parse(f.get("created"));
        v.owner = owner(f);
        v.attachedTo = f.get("attached");
        String alias = f.get("alias");
        if (alias != null && !alias.isEmpty()) {
            for (String pair : alias.split(",")) {
                String[] kv = pair.split(":");
                v.genAlias.put(Integer.parseInt(kv[0]), Integer.parseInt(kv[1]));
            }
        }
        return v;
    }

    /** A snapshot record from its fields. */
    static SnapshotRecord snapshot(Map<String, String> f) {
        SnapshotRecord s = new SnapshotRecord();
        s.id = f.get("id");
        s.volume = f.get("volume");
        s.volumeId = f.get("volumeId");
        s.parent = f.get("parent");
        s.base = f.get("base");
        s.layer = f.get("layer");
        s.size = Long.parseLong(f.get("size"));
        s.blockSize = Integer.parseInt(f.get("bs"));
        s.description = f.getOrDefault("desc", "");
        s.created = Instant.parse(f.get("created"));
        s.mode = f.get("mode");
        s.gen = Integer.parseInt(f.get("gen"));
        s.materialized = Boolean.parseBoolean(f.get("materialized"));
        s.owner = owner(f);
        String perm = f.get("perm");
        if (perm != null && !perm.isEmpty()) {
            for (String who : perm.split(",")) {
                if (!who.equals("all") && !AccountId.isValid(who)) {
                    throw new IllegalArgumentException("permission '" + who + "' is neither 12 digits nor 'all'");
                }
                s.permissions.add(who);
            }
        }
        f.forEach((k, val) -> {
            if (k.startsWith("attr.")) {
                s.attributes.put(k.substring(5), val);
            }
        });
        return s;
    }

    /** The record's owner: null if absent (an old catalog), else 12 digits. */
    private static String owner(Map<String, String> f) {
        String owner = f.get("owner");
        if (owner != null && !AccountId.isValid(owner)) {
            throw new IllegalArgumentException("owner '" + owner + "' is not 12 digits");
        }
        return owner;
    }

    /** The {@code key=value} fields of one record line (URL-decoded). */
    static Map<String, String> parse(String line) {
        Map<String, String> fields = new HashMap<>();
        for (String token : line.split(" ")) {
            int eq = token.indexOf('=');
            if (eq > 0) {
                fields.put(URLDecoder.decode(token.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(token.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return fields;
    }

    /** CRC32C of {@code body} as 8 hex digits. */
    static String crcOf(String body) {
        return String.format("%08x", crc(body));
    }

    /** CRC32C of {@code body}. */
    static int crc(String body) {
        CRC32C crc = new CRC32C();
        crc.update(body.getBytes(StandardCharsets.UTF_8));
        return (int) crc.getValue();
    }

    /** The checksum of a chained log batch: CRC32C over the previous batch's checksum and the batch. */
    static int chainCrc(int previous, String batch) {
        return chainCrc(previous, batch.getBytes(StandardCharsets.UTF_8));
    }

    /** As {@link #chainCrc(int, String)}, over the batch's UTF-8 bytes. */
    static int chainCrc(int previous, byte[] batch) {
        CRC32C crc = new CRC32C();
        crc.update(new byte[] {(byte) (previous >>> 24), (byte) (previous >>> 16), (byte) (previous >>> 8), (byte) previous});
        crc.update(batch);
        return (int) crc.getValue();
    }

    /** What the first batch of log {@code generation} chains on (so a batch of another generation never fits). */
    static int chainSeed(long generation) {
        return crc("catalog." + generation + ".log");
    }

    /** The record line of a volume. */
    static String line(VolumeRecord v) {
        StringBuilder out = new StringBuilder("volume");
        field(out, "name", v.name);
        field(out, "id", v.id);
        field(out, "size", Long.toString(v.size));
        field(out, "bs", Integer.toString(v.blockSize));
        field(out, "write", v.write);
        field(out, "read", v.read);
        field(out, "parent", v.parent);
        field(out, "base", v.base);
        field(out, "layer", v.layer);
        field(out, "gen", Integer.toString(v.gen));
        field(out, "created", v.created.toString());
        field(out, "owner", v.owner);
        field(out, "attached", v.attachedTo);
        StringBuilder alias = new StringBuilder();
        v.genAlias.forEach((k, val) -> alias.append(alias.isEmpty() ? "" : ",").append(k).append(':').append(val));
        field(out, "alias", alias.toString());
        return out.append('\n').toString();
    }

    /** The record line of a snapshot. */
    static String line(SnapshotRecord s) {
        StringBuilder out = new StringBuilder("snapshot");
        field(out, "id", s.id);
        field(out, "volume", s.volume);
        field(out, "volumeId", s.volumeId);
        field(out, "parent", s.parent);
        field(out, "base", s.base);
        field(out, "layer", s.layer);
        field(out, "size", Long.toString(s.size));
        field(out, "bs", Integer.toString(s.blockSize));
        field(out, "desc", s.description);
        field(out, "created", s.created.toString());
        field(out, "mode", s.mode);
        field(out, "gen", Integer.toString(s.gen));
        field(out, "materialized", Boolean.toString(s.materialized));
        field(out, "owner", s.owner);
        if (!s.permissions.isEmpty()) {
            field(out, "perm", String.join(",", s.permissions));
        }
        s.attributes.forEach((k, val) -> field(out, "attr." + k, val));
        return out.append('\n').toString();
    }

    /** One batch for a chained log: the lines and their commit line, whose checksum is {@link #chainCrc}. */
    static byte[] logBatch(String lines, int checksum) {
        return logBatch(lines.getBytes(StandardCharsets.UTF_8), checksum);
    }

    /** As {@link #logBatch(String, int)}, from the lines' UTF-8 bytes. */
    static byte[] logBatch(byte[] lines, int checksum) {
        byte[] out = new byte[lines.length + COMMIT.length + 9];
        System.arraycopy(lines, 0, out, 0, lines.length);
        System.arraycopy(COMMIT, 0, out, lines.length, COMMIT.length);
        byte[] hex = HexFormat.of().toHexDigits(checksum).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(hex, 0, out, lines.length + COMMIT.length, 8);
        out[out.length - 1] = '\n';
        return out;
    }

    private static final byte[] COMMIT = "commit ".getBytes(StandardCharsets.US_ASCII);

    private static void field(StringBuilder out, String key, String value) {
        if (value == null) {
            return;
        }
        out.append(' ').append(encode(key)).append('=').append(encode(value));
    }

    /** URL-encodes, with a fast path for the common values that need no encoding (ids, numbers). */
    static String encode(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_')) {
                return URLEncoder.encode(value, StandardCharsets.UTF_8);
            }
        }
        return value;
    }
}
