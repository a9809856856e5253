package io.amiforge.sim.cpu;

import java.util.Arrays;

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

    final int[] tag = new int[SIZE + 1];
    final int[] info = new int[SIZE + 1];
    final int[] disp = new int[SIZE + 1];
    final int[] imm = new int[SIZE + 1];
    final int[] imm2 = new int[SIZE + 1];

    DecodeCache() {
        clear();
    }

    void clear() {
        Arrays.fill(tag, -1);
    }

    /** Forgets every instruction that starts in [start-15, start+len). */
    void invalidateChunk(int start, int len) {
        for (int a = Math.max(0, start - 15), end = start + len; a < end; a++) {
            int i = a & (SIZE - 1);
            if (tag[i] == a) {
                tag[i] = -1;
            }
        }
    }
}
