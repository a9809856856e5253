package io.amiforge.x86.cpu;

/**
 * Decoded instructions keyed by the physical address of their first byte: a direct-mapped
 * table of 64 Ki entries (tag = physical address), each holding the opcode, length, prefixes
 * and ModR/M packed in one int, the displacement, the immediate and a second immediate/SIB.
 * Entry {@link #SCRATCH} is never tagged: instructions that cannot be cached (those that
 * wrap around the end of the code segment) are decoded there each time.
 */
final class DecodeCache {

    static final int SIZE = 1 << 16;
    static final int SCRATCH = SIZE;

    /** Entry i occupies e[8i..8i+4]: tag, info, displacement, immediate, second immediate/SIB. */
    static final int STRIDE = 8, TAG = 0, INFO = 1, DISP = 2, IMM = 3, IMM2 = 4;
    final int[] e = new int[(SIZE + 1) * STRIDE];
    /** The translated blocks over the same code, told of every invalidation (null: no translation). */
    Blocks blocks;

    DecodeCache() {
        clear();
    }

    void clear() {
        for (int i = 0; i < e.length; i += STRIDE) {
            e[i] = -1;
        }
        if (blocks != null) {
            blocks.clear();
        }
    }

    /** Forgets every instruction that starts in [start-15, start+len). */
    void invalidateChunk(int start, int len) {
        for (int a = Math.max(0, start - 15), end = start + len; a < end; a++) {
            int i = (a & (SIZE - 1)) * STRIDE;
            if ((e[i] & 0x7FFFFFFF) == a) { // either code size
                e[i] = -1;
            }
        }
        if (blocks != null) {
            blocks.invalidate(start, len);
        }
    }
}
