package io.amiforge.store.remote;

import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.store.SnapshotInfo;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One snapshot in the remote catalogue: what {@link SnapshotInfo} says plus where its packed
 * layer is ({@code layerKey}, its size and whole-object CRC32C). Immutable; a change (new
 * permissions, a merged layer after its parent's deletion) is a new record in a new commit.
 */
record RemoteSnapshot(String id, String volume, String parent, long size, int blockSize, String description, Instant created,
        long blockCount, String owner, List<String> permissions, String layerKey, long objectSize, int objectCrc) {

    RemoteSnapshot {
        permissions = List.copyOf(permissions);
    }

    SnapshotInfo info() {
        return new SnapshotInfo(id, volume, parent, size, blockSize, description, created, blockCount,
                Map.of("layer-object", layerKey), owner, permissions);
    }

    RemoteSnapshot withLayer(String newParent, String key, long newObjectSize, int crc, long blocks) {
        return new RemoteSnapshot(id, volume, newParent, size, blockSize, description, created, blocks, owner, permissions, key,
                newObjectSize, crc);
    }

    RemoteSnapshot withPermissions(List<String> newPermissions) {
        return new RemoteSnapshot(id, volume, parent, size, blockSize, description, created, blockCount, owner, newPermissions,
                layerKey, objectSize, objectCrc);
    }

    /** One line of {@code key=value} fields, URL-encoded. */
    String encode() {
        StringBuilder b = new StringBuilder();
        field(b, "id", id);
        field(b, "volume", volume);
        field(b, "parent", parent == null ? "" : parent);
        field(b, "size", Long.toString(size));
        field(b, "block-size", Integer.toString(blockSize));
        field(b, "description", description == null ? "" : description);
        field(b, "created", created.toString());
        field(b, "blocks", Long.toString(blockCount));
        field(b, "owner", owner);
        field(b, "perm", String.join(",", permissions));
        field(b, "layer", layerKey);
        field(b, "object-size", Long.toString(objectSize));
        field(b, "object-crc", Integer.toHexString(objectCrc));
        return b.toString();
    }

    private static void field(StringBuilder b, String key, String value) {
        if (!b.isEmpty()) {
            b.append(' ');
        }
        b.append(key).append('=').append(URLEncoder.encode(value, StandardCharsets.UTF_8));
    }

    /** Parses {@link #encode}'s line; {@code where} names the object and line in errors. */
    static RemoteSnapshot decode(String line, String where) {
        Map<String, String> f = new LinkedHashMap<>();
        for (String token : line.split(" ")) {
            int eq = token.indexOf('=');
            if (eq <= 0) {
                throw new BlockDeviceException.Corrupt(where + ": field '" + token + "' is not key=value");
            }
            f.put(token.substring(0, eq), URLDecoder.decode(token.substring(eq + 1), StandardCharsets.UTF_8));
        }
        try {
            String parent = f.get("parent");
            String perm = f.get("perm");
            List<String> perms = perm == null || perm.isEmpty() ? List.of() : new ArrayList<>(List.of(perm.split(",")));
            return new RemoteSnapshot(required(f, "id", where), required(f, "volume", where), parent == null || parent.isEmpty() ? null : parent,
                    Long.parseLong(required(f, "size", where)), Integer.parseInt(required(f, "block-size", where)),
                    f.getOrDefault("description", ""), Instant.parse(required(f, "created", where)),
                    Long.parseLong(required(f, "blocks", where)), required(f, "owner", where), perms,
                    required(f, "layer", where), Long.parseLong(required(f, "object-size", where)),
                    Integer.parseUnsignedInt(required(f, "object-crc", where), 16));
        } catch (NumberFormatException | java.time.format.DateTimeParseException e) {
            throw new BlockDeviceException.Corrupt(where + ": bad number or time in snapshot record (" + e.getMessage() + ")");
        }
    }

    private static String required(Map<String, String> f, String key, String where) {
        String v = f.get(key);
        if (v == null) {
            throw new BlockDeviceException.Corrupt(where + ": snapshot record has no '" + key + "' field");
        }
        return v;
    }
}
