package io.amiforge.imagefmt.vhdx;

import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.imagefmt.format.ImageFormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.UUID;

/**
 * A differencing VHDX's parent locator metadata item ([MS-VHDX] 2.6.2.6): the locator type
 * (only the VHDX type is known), then key-value pairs of UTF-16LE strings, found through a table
 * of 12-byte entries (key offset, value offset, key length, value length; offsets from the
 * item's start). {@code parent_linkage} (and optionally {@code parent_linkage2}) hold the
 * parent's DataWriteGuid as {@code {guid}}; {@code relative_path}, {@code volume_path} and
 * {@code absolute_win32_path} locate the parent, with {@code \} as the separator.
 *
 * @param entries the key-value pairs in file order
 */
record VhdxParentLocator(SequencedMap<String, String> entries) {

    /** The VHDX parent locator type. */
    static final UUID TYPE = UUID.fromString("b04aefb7-d19e-4a81-b789-25b8e9445913");
    static final String LINKAGE = "parent_linkage";
    static final String LINKAGE2 = "parent_linkage2";
    static final String RELATIVE = "relative_path";
    private static final int HEADER = 20;
    private static final int ENTRY = 12;

    /** The locator of a new differencing disk: the parent's DataWriteGuid and its path relative to the child. */
    static VhdxParentLocator of(UUID parentDataWrite, String relativePath) {
        if (relativePath.length() > 0x7fff) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue",
                    "parent path of %d characters is longer than a VHDX parent locator holds (32767)".formatted(relativePath.length()));
        }
        SequencedMap<String, String> entries = new LinkedHashMap<>();
        entries.put(LINKAGE, "{" + parentDataWrite + "}");
        entries.put(RELATIVE, relativePath.replace('/', '\\'));
        return new VhdxParentLocator(entries);
    }

    /** Parses the item of {@code length} bytes at {@code at} of {@code b} (the metadata region, at file offset {@code base}). */
    static VhdxParentLocator parse(String name, ByteBuffer b, int at, int length, long base) {
        long fileOffset = base + at;
        if (length < HEADER) {
            throw ImageFormatException.field(name, "VHDX parent locator", fileOffset, length + " bytes, shorter than its 20-byte header");
        }
        UUID type = Guids.read(b, at);
        if (!type.equals(TYPE)) {
            throw ImageFormatException.unsupported(name, "VHDX parent locator (file offset %d) has type %s; only the VHDX locator %s is known"
                    .formatted(fileOffset, type, TYPE));
        }
        int count = b.getShort(at + 18) & 0xffff;
        if (HEADER + (long) ENTRY * count > length) {
            throw ImageFormatException.field(name, "VHDX parent locator KeyValueCount", fileOffset + 18,
                    count + " entries do not fit the " + length + "-byte item");
        }
        SequencedMap<String, String> entries = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            int e = at + HEADER + ENTRY * i;
            String key = string(name, b, at, length, b.getInt(e), b.getShort(e + 8) & 0xffff, fileOffset, "key of entry " + i);
            String value = string(name, b, at, length, b.getInt(e + 4), b.getShort(e + 10) & 0xffff, fileOffset, "value of entry " + i);
            entries.putIfAbsent(key, value);
        }
        if (!entries.containsKey(LINKAGE)) {
            throw ImageFormatException.corrupt(name, "VHDX parent locator (file offset %d) has no parent_linkage entry".formatted(fileOffset));
        }
        return new VhdxParentLocator(entries);
    }

    private static String string(String name, ByteBuffer b, int item, int itemLength, int offset, int length, long fileOffset, String what) {
        if (offset < HEADER || length % 2 != 0 || offset > itemLength - length) {
            throw ImageFormatException.field(name, "VHDX parent locator " + what, fileOffset,
                    "%d bytes at item offset %d lie outside the %d-byte item or are not UTF-16".formatted(length, offset, itemLength));
        }
        return new String(b.array(), b.arrayOffset() + item + offset, length, StandardCharsets.UTF_16LE);
    }

    /** The parent DataWriteGuids this locator accepts ({@code parent_linkage}, then {@code parent_linkage2}). */
    List<UUID> linkages(String name) {
        List<UUID> out = new ArrayList<>(2);
        for (String key : new String[] {LINKAGE, LINKAGE2}) {
            String value = entries.get(key);
            if (value == null) {
                continue;
            }
            String bare = value.strip();
            if (bare.startsWith("{") && bare.endsWith("}")) {
                bare = bare.substring(1, bare.length() - 1);
            }
            try {
                out.add(UUID.fromString(bare));
            } catch (IllegalArgumentException e) {
                throw ImageFormatException.corrupt(name, "VHDX parent locator %s '%s' is not a GUID".formatted(key, value));
            }
        }
        return out;
    }

    /**
     * The parent's name to resolve against the child's directory: {@code relative_path} when
     * present, else the file name alone of {@code absolute_win32_path} or {@code volume_path}
     * (a Windows path means nothing on this host; the parent is looked for next to the child).
     * Null when the locator has no path.
     */
    String parentName() {
        String relative = entries.get(RELATIVE);
        if (relative != null && !relative.isEmpty()) {
            String path = relative.replace('\\', '/');
            return path.startsWith("./") ? path.substring(2) : path;
        }
        for (String key : new String[] {"absolute_win32_path", "volume_path"}) {
            String absolute = entries.get(key);
            if (absolute != null && !absolute.isEmpty()) {
                String path = absolute.replace('\\', '/');
                return path.substring(path.lastIndexOf('/') + 1);
            }
        }
        return null;
    }

    /** The item's bytes as {@link #parse} reads them. */
    ByteBuffer encode() {
        List<byte[]> strings = new ArrayList<>();
        for (Map.Entry<String, String> e : entries.entrySet()) {
            strings.add(e.getKey().getBytes(StandardCharsets.UTF_16LE));
            strings.add(e.getValue().getBytes(StandardCharsets.UTF_16LE));
        }
        int size = HEADER + ENTRY * entries.size() + strings.stream().mapToInt(s -> s.length).sum();
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        Guids.write(b, 0, TYPE);
        b.putShort(18, (short) entries.size());
        int data = HEADER + ENTRY * entries.size();
        for (int i = 0; i < entries.size(); i++) {
            byte[] key = strings.get(2 * i);
            byte[] value = strings.get(2 * i + 1);
            int e = HEADER + ENTRY * i;
            b.putInt(e, data).putInt(e + 4, data + key.length).putShort(e + 8, (short) key.length).putShort(e + 10, (short) value.length);
            b.put(data, key).put(data + key.length, value);
            data += key.length + value.length;
        }
        return b.rewind();
    }
}
