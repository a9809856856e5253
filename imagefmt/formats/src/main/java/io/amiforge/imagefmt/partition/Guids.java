package io.amiforge.imagefmt.partition;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.UUID;

/** GUIDs in GPT's mixed-endian layout: the first three fields little-endian, the rest big-endian. */
public final class Guids {

    private Guids() {
    }

    /** Decodes the 16 bytes at {@code offset} as an upper-case GUID string. */
    public static String decode(ByteBuffer buffer, int offset) {
        ByteBuffer b = buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long d1 = Integer.toUnsignedLong(b.getInt(offset));
        int d2 = Short.toUnsignedInt(b.getShort(offset + 4));
        int d3 = Short.toUnsignedInt(b.getShort(offset + 6));
        StringBuilder s = new StringBuilder(36);
        s.append(String.format(Locale.ROOT, "%08X-%04X-%04X-", d1, d2, d3));
        for (int i = 8; i < 16; i++) {
            if (i == 10) {
                s.append('-');
            }
            s.append(String.format(Locale.ROOT, "%02X", b.get(offset + i)));
        }
        return s.toString();
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
