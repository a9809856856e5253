package io.amiforge.imagefmt.partition;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;

/** GUIDs in GPT's mixed-endian layout: the first three fields little-endian, the rest big-endian. */
public final class Guids {

    private Guids() {
    }

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();
    /** Byte offsets in text order (the first three fields little-endian), -1 for a dash. */
    private static final int[] BYTE_ORDER = {3, 2, 1, 0, -1, 5, 4, -1, 7, 6, -1, 8, 9, -1, 10, 11, 12, 13, 14, 15};

    /**
     * Decodes the 16 bytes at {@code offset} as an upper-case GUID string. Plain table lookups:
     * a table of 128K entries decodes 128K GUIDs.
     */
    public static String decode(ByteBuffer buffer, int offset) {
        char[] s = new char[36];
        int at = 0;
        for (int i : BYTE_ORDER) {
            if (i < 0) {
                s[at++] = '-';
            } else {
                int v = buffer.get(offset + i) & 0xff;
                s[at++] = HEX[v >>> 4];
                s[at++] = HEX[v & 0xf];
            }
        }
        return new String(s);
    }

    /** Encodes {@code guid} at {@code offset}. */
    public static void encode(String guid, ByteBuffer buffer, int offset) {
        UUID u;
        try {
            u = UUID.fromString(guid);
        } catch (IllegalArgumentException e) {
            throw PartitionErrors.badRequest("'" + guid + "' is not a GUID");
        }
        ByteBuffer b = buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long msb = u.getMostSignificantBits();
        b.putInt(offset, (int) (msb >>> 32));
        b.putShort(offset + 4, (short) (msb >>> 16));
        b.putShort(offset + 6, (short) msb);
        b.order(ByteOrder.BIG_ENDIAN).putLong(offset + 8, u.getLeastSignificantBits());
    }

    /** Whether all 16 bytes at {@code offset} are zero (an unused GPT entry). */
    public static boolean isZero(ByteBuffer buffer, int offset) {
        return buffer.getLong(offset) == 0 && buffer.getLong(offset + 8) == 0;
    }
}
