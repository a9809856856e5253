package io.amiforge.x86.cpu;

/**
 * Guest memory as the real-mode CPU addresses it: segment base + offset, through the A20
 * mask. A word or dword at offset 0xFFFF (or 0xFFFD..0xFFFF) wraps within the segment, as on
 * the 8086, and an access at the top of the 1 MiB space splits the same way. Writes to ROM are
 * dropped; writes into a chunk holding decoded code forget those instructions
 * ({@link Memory#invalidate}).
 *
 * <p>Unchecked fast path: {@code (base + off) & a20} is always below the RAM array's length
 * (the A20 mask keeps it within 1 MiB + HMA), so the array is indexed directly. The accessors
 * are static over the RAM, marks and A20 mask that {@link Exec} holds, so a handler reaches
 * memory without another object in between.
 */
final class Bus {

    private Bus() {
    }

    static int rd8(Exec x, int base, int off) {
        return x.ram[(base + off) & x.a20] & 0xFF;
    }

    static int rd16(Exec x, int base, int off) {
        int a = (base + off) & x.a20;
        if (off == 0xFFFF || (a & 0xFFFFF) == 0xFFFFF) {
            return rd8(x, base, off) | rd8(x, base, (off + 1) & 0xFFFF) << 8;
        }
        return (x.ram[a] & 0xFF) | (x.ram[a + 1] & 0xFF) << 8;
    }

    static int rd32(Exec x, int base, int off) {
        int a = (base + off) & x.a20;
        if (off > 0xFFFC || (a & 0xFFFFF) > 0xFFFFC) {
            return rd16(x, base, off) | rd16(x, base, (off + 2) & 0xFFFF) << 16;
        }
        return (x.ram[a] & 0xFF) | (x.ram[a + 1] & 0xFF) << 8 | (x.ram[a + 2] & 0xFF) << 16 | (x.ram[a + 3] & 0xFF) << 24;
    }

    static void wr8(Exec x, int base, int off, int v) {
        int a = (base + off) & x.a20;
        byte m = x.mark[a >>> Memory.CHUNK_SHIFT];
        if (m != 0) {
            if (m == Memory.MARK_ROM) {
                return;
            }
            x.mem.invalidate(a);
        }
        x.ram[a] = (byte) v;
    }

    static void wr16(Exec x, int base, int off, int v) {
        int a = (base + off) & x.a20;
        if (off == 0xFFFF || (a & 0xFFFFF) == 0xFFFFF
                || (x.mark[a >>> Memory.CHUNK_SHIFT] | x.mark[(a + 1) >>> Memory.CHUNK_SHIFT]) != 0) {
            wr8(x, base, off, v);
            wr8(x, base, (off + 1) & 0xFFFF, v >>> 8);
            return;
        }
        x.ram[a] = (byte) v;
        x.ram[a + 1] = (byte) (v >>> 8);
    }

    static void wr32(Exec x, int base, int off, int v) {
        wr16(x, base, off, v);
        wr16(x, base, (off + 2) & 0xFFFF, v >>> 16);
    }

    /** Reads an operand of size code {@code sz} (0 byte, 1 word, 2 dword). */
    static int rd(Exec x, int sz, int base, int off) {
        return sz == 1 ? rd16(x, base, off) : sz == 0 ? rd8(x, base, off) : rd32(x, base, off);
    }

    static void wr(Exec x, int sz, int base, int off, int v) {
        if (sz == 1) {
            wr16(x, base, off, v);
        } else if (sz == 0) {
            wr8(x, base, off, v);
        } else {
            wr32(x, base, off, v);
        }
    }

    /** Marks the chunks of {@code [phys, phys+len)} as holding decoded code (unless ROM). */
    static void markCode(Exec x, int phys, int len) {
        int c1 = phys >>> Memory.CHUNK_SHIFT, c2 = Math.min(phys + len - 1, x.ram.length - 1) >>> Memory.CHUNK_SHIFT;
        if (x.mark[c1] == 0) {
            x.mark[c1] = Memory.MARK_CODE;
        }
        if (c2 < x.mark.length && x.mark[c2] == 0) {
            x.mark[c2] = Memory.MARK_CODE;
        }
    }
}
