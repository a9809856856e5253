package io.amiforge.x86.cpu;

/**
 * Decoded instructions keyed by the physical address of their first byte: a direct-mapped
 * table of 64 Ki entries (tag = physical address), each holding the opcode, length, prefixes
 * and ModR/M packed in one int, the displacement, the immediate and a second immediate/SIB.
 * Entry {@link #SCRATCH} is never tagged: instructions that cannot be cached (those that
 * wrap around the end of the code segment) are decoded there each time.
 *
 * <p>With paging the fetch loop's physical-keyed lookup always misses (the code tag then has
 * {@link CpuState#PAGED_TAG}, which no physical tag has) and the decoder looks in a second,
 * smaller table of {@link #LINEAR_SIZE} entries keyed by linear address and code tag
 * ({@link Decoder#decode}); like a TLB it keeps its translations until MOV CR3, INVLPG or a
 * change of CR0.PG ({@link #clearLinear}), and a write to code clears it whole, since the
 * physical address written does not name its entries.
 */
final class DecodeCache {

    static final int SIZE = 1 << 16;
    static final int SCRATCH = SIZE;

    /** Entries of the linear-keyed table used with paging, after the scratch entry. */
    static final int LINEAR_SIZE = 1 << 12;
    private static final int LINEAR_BASE = SIZE + 1;

    /**
     * Entry i occupies e[8i..8i+5]: tag, info, displacement, immediate, second immediate/SIB,
     * and in the linear table the code tag it was decoded under (0: empty; the tag is then the
     * linear address alone).
     */
    static final int STRIDE = 8, TAG = 0, INFO = 1, DISP = 2, IMM = 3, IMM2 = 4, MODE = 5;
    final int[] e = new int[(LINEAR_BASE + LINEAR_SIZE) * STRIDE];
    /** Whether the linear table holds entries. */
    boolean linear;
    /** The translated blocks over the same code, told of every invalidation (null: no translation). */
    Blocks blocks;

    DecodeCache() {
        clear();
    }

    void clear() {
        for (int i = 0; i < LINEAR_BASE * STRIDE; i += STRIDE) {
            e[i] = -1;
        }
        linear = true;
        clearLinear();
        if (blocks != null) {
            blocks.clear();
        }
    }

    /** Index of the linear table's entry for linear address {@code lin}. */
    static int linearSlot(int lin) {
        return (LINEAR_BASE + (lin & (LINEAR_SIZE - 1))) * STRIDE;
    }

    /** Forgets the instructions keyed by linear address (the translations they were decoded under changed). */
    void clearLinear() {
        if (linear) {
            for (int i = LINEAR_BASE * STRIDE; i < e.length; i += STRIDE) {
                e[i + MODE] = 0;
            }
            linear = false;
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
