package io.amiforge.x86.cpu;

/**
 * Guest memory as the CPU addresses it: segment base + offset, through the A20 mask. In real
 * mode with 16-bit addressing a word or dword at offset 0xFFFF (or 0xFFFD..0xFFFF) wraps
 * within the segment, as on the 8086, and an access at the top of the 1 MiB space with A20
 * closed splits the same way. Writes to ROM are dropped; writes into a chunk holding decoded
 * code forget those instructions ({@link Memory#invalidate}).
 *
 * <p>Fast path: a linear address below {@link Memory#LOW_LIMIT} indexes the RAM array directly;
 * anything above (protected or unreal mode reaching extended memory) goes through
 * {@link Memory}'s chunked accessors, which also answer 0xFF outside memory. The accessors
 * are static over the RAM, marks and A20 mask that {@link Exec} holds, so a handler reaches
 * memory without another object in between.
 */
final class Bus {

    private static final int LOW = Memory.LOW_LIMIT;

    private Bus() {
    }

    private static boolean high(int a, int extra) {
        return Integer.compareUnsigned(a, LOW - extra) >= 0;
    }

    /** Offset of the byte {@code k} on from {@code off}: wrapping at 64 KiB for 16-bit real-mode addressing. */
    private static int next(Exec x, int off, int k) {
        return x.pe || x.a32() == 1 ? off + k : (off + k) & 0xFFFF;
    }

    static int rd8(Exec x, int base, int off) {
        int a = (base + off) & x.a20;
        if (high(a, 0)) {
            return x.mem.read8(a & 0xFFFFFFFFL);
        }
        return x.ram[a] & 0xFF;
    }

    static int rd16(Exec x, int base, int off) {
        int a = (base + off) & x.a20;
        if (off == 0xFFFF || (a & 0xFFFFF) == 0xFFFFF || high(a, 1)) {
            return rd8(x, base, off) | rd8(x, base, next(x, off, 1)) << 8;
        }
        return (x.ram[a] & 0xFF) | (x.ram[a + 1] & 0xFF) << 8;
    }

    static int rd32(Exec x, int base, int off) {
        int a = (base + off) & x.a20;
        if ((off & 0xFFFF) > 0xFFFC || (a & 0xFFFFF) > 0xFFFFC || high(a, 3)) {
            return rd16(x, base, off) | rd16(x, base, next(x, off, 2)) << 16;
        }
        return (x.ram[a] & 0xFF) | (x.ram[a + 1] & 0xFF) << 8 | (x.ram[a + 2] & 0xFF) << 16 | (x.ram[a + 3] & 0xFF) << 24;
    }

    static void wr8(Exec x, int base, int off, int v) {
        int a = (base + off) & x.a20;
        if (high(a, 0)) {
            x.mem.write8(a & 0xFFFFFFFFL, v);
            return;
        }
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
        if (off == 0xFFFF || (a & 0xFFFFF) == 0xFFFFF || high(a, 1)
                || (x.mark[a >>> Memory.CHUNK_SHIFT] | x.mark[(a + 1) >>> Memory.CHUNK_SHIFT]) != 0) {
            wr8(x, base, off, v);
            wr8(x, base, next(x, off, 1), v >>> 8);
            return;
        }
        x.ram[a] = (byte) v;
        x.ram[a + 1] = (byte) (v >>> 8);
    }

    static void wr32(Exec x, int base, int off, int v) {
        wr16(x, base, off, v);
        wr16(x, base, next(x, off, 2), v >>> 16);
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

    /** Marks the chunks of {@code [phys, phys+len)} as holding decoded code (unless ROM); {@code phys} is below the RAM array's end. */
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
