package io.amiforge.store;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * One 32-byte entry of a layer's index file ({@code <id>.idx}), little-endian: magic
 * {@code "AFIX"}, flags (1 = zero block, 2 = the slot is in a pack file that other layers
 * share, see {@link LayerPacker}), block, slot, CRC32C of the block's data, generation, CRC32C
 * of the first 28 bytes. In memory a {@link Layer} packs an entry into one long,
 * {@code (slot+1) << 32 | data crc}, or {@link Layer#ZERO_SLOT}{@code << 32} for a zero block.
 */
final class IndexEntry {

    static final int SIZE = 32;
    static final int MAGIC = 0x41464958; // "AFIX"
    private static final int FLAG_ZERO = 1;
    private static final int FLAG_PACKED = 2;
    private static final ThreadLocal<CRC32C> CRC = ThreadLocal.withInitial(CRC32C::new);

    private IndexEntry() {
    }

    /** Writes the entry of {@code block} (packed {@code value}, {@code gen}) into {@code e} at 0, ready to write out. */
    static void encode(ByteBuffer e, long block, long value, int gen) {
        encode(e, block, value, gen, false);
    }

    /** {@link #encode(ByteBuffer, long, long, int)}, marking the entry as one of a packed layer when {@code packed}. */
    static void encode(ByteBuffer e, long block, long value, int gen, boolean packed) {
        long slotPlus1 = value >>> 32;
        boolean zero = slotPlus1 == Layer.ZERO_SLOT;
        e.clear();
        e.putInt(0, MAGIC);
        e.putInt(4, (zero ? FLAG_ZERO : 0) | (packed ? FLAG_PACKED : 0));
        e.putLong(8, block);
        e.putInt(16, zero ? 0 : (int) (slotPlus1 - 1));
        e.putInt(20, zero ? 0 : (int) value);
        e.putInt(24, gen);
        CRC32C crc = CRC.get();
        crc.reset();
        e.limit(28);
        crc.update(e);
        e.clear();
        e.putInt(28, (int) crc.getValue());
    }

    /** Are the magic and the checksum of the entry at {@code at} of {@code buf} right? (Leaves the buffer's limit.) */
    static boolean intact(ByteBuffer buf, int at, CRC32C crc) {
        int limit = buf.limit();
        crc.reset();
        buf.limit(at + 28).position(at);
        crc.update(buf);
        buf.limit(limit).position(at);
        return buf.getInt(at) == MAGIC && (int) crc.getValue() == buf.getInt(at + 28);
    }

    static long block(ByteBuffer buf, int at) {
        return buf.getLong(at + 8);
    }

    /** Does the entry at {@code at} belong to a packed layer (its slot is in a shared pack file)? */
    static boolean packed(ByteBuffer buf, int at) {
        return (buf.getInt(at + 4) & FLAG_PACKED) != 0;
    }

    static int gen(ByteBuffer buf, int at) {
        return buf.getInt(at + 24);
    }

    /** The packed in-memory value of the (intact) entry at {@code at}. */
    static long value(ByteBuffer buf, int at) {
        if ((buf.getInt(at + 4) & FLAG_ZERO) != 0) {
            return Layer.ZERO_SLOT << 32;
        }
        long slot = Integer.toUnsignedLong(buf.getInt(at + 16));
        return ((slot + 1) << 32) | Integer.toUnsignedLong(buf.getInt(at + 20));
    }
}
