package io.amiforge.x86.cpu;

/**
 * Guest memory as the real-mode CPU addresses it: segment base + offset, through the A20
 * mask. A word or dword at offset 0xFFFF (or 0xFFFD..0xFFFF) wraps within the segment, as on
 * the 8086, and an access at the top of the 1 MiB space splits the same way. Writes to ROM are
 * dropped; writes into a chunk holding decoded code forget those instructions
 * ({@link Memory#invalidate}).
 *
 * <p>Unchecked fast path: {@code (base + off) & a20} is always below {@link Memory#ram}'s
 * length (the A20 mask keeps it within 1 MiB + HMA), so the byte array is indexed directly.
 */
final class Bus {

    final Memory mem;
    final byte[] ram;
    private final byte[] mark;
    /** The current A20 mask, mirrored from {@link Memory#a20Mask}. */
    int a20;

    Bus(Memory mem) {
        this.mem = mem;
        this.ram = mem.ram;
        this.mark = mem.mark;
        this.a20 = mem.a20Mask;
    }

    void setA20(boolean on) {
        mem.setA20(on);
        a20 = mem.a20Mask;
    }

    int rd8(int base, int off) {
        return ram[(base + off) & a20] & 0xFF;
    }

    int rd16(int base, int off) {
        int a = (base + off) & a20;
        if (off == 0xFFFF || (a & 0xFFFFF) == 0xFFFFF) {
            return rd8(base, off) | rd8(base, (off + 1) & 0xFFFF) << 8;
        }
        return (ram[a] & 0xFF) | (ram[a + 1] & 0xFF) << 8;
    }

    int rd32(int base, int off) {
        int a = (base + off) & a20;
        if (off > 0xFFFC || (a & 0xFFFFF) > 0xFFFFC) {
            return rd16(base, off) | rd16(base, (off + 2) & 0xFFFF) << 16;
        }
        return (ram[a] & 0xFF) | (ram[a + 1] & 0xFF) << 8 | (ram[a + 2] & 0xFF) << 16 | (ram[a + 3] & 0xFF) << 24;
    }

    void wr8(int base, int off, int v) {
        int a = (base + off) & a20;
        byte m = mark[a >>> Memory.CHUNK_SHIFT];
        if (m != 0) {
            if (m == Memory.MARK_ROM) {
                return;
            }
            mem.invalidate(a);
        }
        ram[a] = (byte) v;
    }

    void wr16(int base, int off, int v) {
        int a = (base + off) & a20;
        if (off == 0xFFFF || (a & 0xFFFFF) == 0xFFFFF
                || (mark[a >>> Memory.CHUNK_SHIFT] | mark[(a + 1) >>> Memory.CHUNK_SHIFT]) != 0) {
            wr8(base, off, v);
            wr8(base, (off + 1) & 0xFFFF, v >>> 8);
            return;
        }
        ram[a] = (byte) v;
        ram[a + 1] = (byte) (v >>> 8);
    }

    void wr32(int base, int off, int v) {
        wr16(base, off, v);
        wr16(base, (off + 2) & 0xFFFF, v >>> 16);
    }

    /** Reads an operand of size code {@code sz} (0 byte, 1 word, 2 dword). */
    int rd(int sz, int base, int off) {
        return sz == 1 ? rd16(base, off) : sz == 0 ? rd8(base, off) : rd32(base, off);
    }

    void wr(int sz, int base, int off, int v) {
        if (sz == 1) {
            wr16(base, off, v);
        } else if (sz == 0) {
            wr8(base, off, v);
        } else {
            wr32(base, off, v);
        }
    }

    /** Marks the chunks of {@code [phys, phys+len)} as holding decoded code (unless ROM). */
    void markCode(int phys, int len) {
        int c1 = phys >>> Memory.CHUNK_SHIFT, c2 = Math.min(phys + len - 1, ram.length - 1) >>> Memory.CHUNK_SHIFT;
        if (mark[c1] == 0) {
            mark[c1] = Memory.MARK_CODE;
        }
        if (c2 < mark.length && mark[c2] == 0) {
            mark[c2] = Memory.MARK_CODE;
        }
    }
}
