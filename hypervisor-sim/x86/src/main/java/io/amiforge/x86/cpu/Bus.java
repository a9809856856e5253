package io.amiforge.x86.cpu;

/**
 * Guest memory as the CPU addresses it: segment base + offset, through the A20 mask. In real
 * mode with 16-bit addressing a word or dword at offset 0xFFFF (or 0xFFFD..0xFFFF) wraps
 * within the segment, as on the 8086, and an access at the top of the 1 MiB space with A20
 * closed splits the same way. Writes to ROM are dropped; writes into a chunk holding decoded
 * code forget those instructions ({@link Memory#invalidate}).
 *
 * <p>Fast path: without paging, a linear address in {@link Memory#flat} (the first
 * {@link Memory#FLAT_MAX} of memory) indexes the RAM array directly; anything above goes
 * through {@link Memory}'s chunked accessors, which also answer 0xFF outside memory. With
 * paging (CR0.PG) every access takes the slow path, which translates the linear address
 * through {@link Paging}'s TLB (one page walk on a miss) and may raise #PF; a read within one
 * page of the RAM array is then one translation, not one per byte. The accessors
 * are static over the RAM, marks and A20 mask that {@link Exec} holds, so a handler reaches
 * memory without another object in between.
 */
final class Bus {

    private Bus() {
    }

    /**
     * Whether linear address {@code a} (already through the A20 mask) must take the slow path:
     * at or above {@link Exec#fastEnd}, which is {@link Exec#flatEnd} without paging and 0 (every
     * address) with it. The fast path then indexes the RAM array directly; {@code flatEnd}
     * leaves room for the 3 bytes after {@code a} of a dword.
     */
    private static boolean slow(Exec x, int a) {
        return Integer.compareUnsigned(a, x.fastEnd) >= 0;
    }

    /** Offset of the byte {@code k} on from {@code off}: wrapping at 64 KiB for 16-bit real-mode addressing. */
    private static int next(Exec x, int off, int k) {
        return x.pe || x.a32() == 1 ? off + k : (off + k) & 0xFFFF;
    }

    // The fast paths below are what the interpreter runs on almost every instruction: they stay
    // small (the JIT inlines them into each handler) and leave everything else to the out-of-line
    // slow paths, which alone know about paging.

    static int rd8(Exec x, int base, int off) {
        int a = (base + off) & x.a20;
        if (slow(x, a)) {
            return slowRd8(x, base + off);
        }
        return x.ram[a] & 0xFF;
    }

    static int rd16(Exec x, int base, int off) {
        int a = (base + off) & x.a20;
        if (off == 0xFFFF || (a & 0xFFFFF) == 0xFFFFF || slow(x, a)) {
            return slowRd16(x, base, off);
        }
        return (x.ram[a] & 0xFF) | (x.ram[a + 1] & 0xFF) << 8;
    }

    static int rd32(Exec x, int base, int off) {
        int a = (base + off) & x.a20;
        if ((off & 0xFFFF) > 0xFFFC || (a & 0xFFFFF) > 0xFFFFC || slow(x, a)) {
            return slowRd32(x, base, off);
        }
        return (x.ram[a] & 0xFF) | (x.ram[a + 1] & 0xFF) << 8 | (x.ram[a + 2] & 0xFF) << 16 | (x.ram[a + 3] & 0xFF) << 24;
    }

    static void wr8(Exec x, int base, int off, int v) {
        int a = (base + off) & x.a20;
        if (slow(x, a)) {
            slowWr8(x, base + off, v);
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
        if (off == 0xFFFF || (a & 0xFFFFF) == 0xFFFFF || slow(x, a)
                || (x.mark[a >>> Memory.CHUNK_SHIFT] | x.mark[(a + 1) >>> Memory.CHUNK_SHIFT]) != 0) {
            slowWr16(x, base, off, v);
            return;
        }
        x.ram[a] = (byte) v;
        x.ram[a + 1] = (byte) (v >>> 8);
    }

    static void wr32(Exec x, int base, int off, int v) {
        int a = (base + off) & x.a20;
        if ((off & 0xFFFF) > 0xFFFC || (a & 0xFFFFF) > 0xFFFFC || slow(x, a)
                || (x.mark[a >>> Memory.CHUNK_SHIFT] | x.mark[(a + 3) >>> Memory.CHUNK_SHIFT]) != 0) {
            slowWr32(x, base, off, v);
            return;
        }
        x.ram[a] = (byte) v;
        x.ram[a + 1] = (byte) (v >>> 8);
        x.ram[a + 2] = (byte) (v >>> 16);
        x.ram[a + 3] = (byte) (v >>> 24);
    }

    private static void slowWr32(Exec x, int base, int off, int v) {
        if (x.pg) {
            pagedWrite(x, base + off, 4, v);
            return;
        }
        wr16(x, base, off, v);
        wr16(x, base, next(x, off, 2), v >>> 16);
    }

    private static int slowRd8(Exec x, int lin) {
        return x.pg ? physRd8(x, x.paging.read(x, lin) & x.mem.a20Mask) : x.mem.read8((lin & x.a20) & 0xFFFFFFFFL);
    }

    private static int slowRd16(Exec x, int base, int off) {
        int p = x.pg ? pagedLow(x, base + off, 2) : -1;
        if (p >= 0) {
            return (x.ram[p] & 0xFF) | (x.ram[p + 1] & 0xFF) << 8;
        }
        return rd8(x, base, off) | rd8(x, base, next(x, off, 1)) << 8;
    }

    private static int slowRd32(Exec x, int base, int off) {
        int p = x.pg ? pagedLow(x, base + off, 4) : -1;
        if (p >= 0) {
            return (x.ram[p] & 0xFF) | (x.ram[p + 1] & 0xFF) << 8 | (x.ram[p + 2] & 0xFF) << 16 | (x.ram[p + 3] & 0xFF) << 24;
        }
        return rd16(x, base, off) | rd16(x, base, next(x, off, 2)) << 16;
    }

    private static void slowWr8(Exec x, int lin, int v) {
        if (x.pg) {
            physWr8(x, x.paging.write(x, lin) & x.mem.a20Mask, v);
        } else {
            x.mem.write8((lin & x.a20) & 0xFFFFFFFFL, v);
        }
    }

    private static void slowWr16(Exec x, int base, int off, int v) {
        if (x.pg) {
            pagedWrite(x, base + off, 2, v);
            return;
        }
        wr8(x, base, off, v);
        wr8(x, base, next(x, off, 1), v >>> 8);
    }

    /** A byte at physical address {@code p} (0xFF outside memory). */
    private static int physRd8(Exec x, int p) {
        return Integer.compareUnsigned(p, x.flat) < 0 ? x.ram[p] & 0xFF : x.mem.read8(p & 0xFFFFFFFFL);
    }

    /** Writes a byte at physical address {@code p}: dropped on ROM, forgetting decoded code in its chunk. */
    private static void physWr8(Exec x, int p, int v) {
        if (Integer.compareUnsigned(p, x.flat) >= 0) {
            x.mem.write8(p & 0xFFFFFFFFL, v);
            return;
        }
        byte m = x.mark[p >>> Memory.CHUNK_SHIFT];
        if (m != 0) {
            if (m == Memory.MARK_ROM) {
                return;
            }
            x.mem.invalidate(p);
        }
        x.ram[p] = (byte) v;
    }

    /**
     * With paging, the physical address of a read of {@code n} bytes at linear {@code lin} when
     * all of it lies in one page and in the RAM array (A20 open), else -1 (read byte by byte).
     */
    private static int pagedLow(Exec x, int lin, int n) {
        if ((lin & 0xFFF) > 0x1000 - n || x.mem.a20Mask != Memory.A20_OPEN) {
            return -1;
        }
        int p = x.paging.read(x, lin);
        return Integer.compareUnsigned(p, x.flatEnd) < 0 ? p : -1;
    }

    /**
     * With paging, writes the {@code n} low bytes of {@code v} at linear {@code lin}: one
     * translation when they lie in one page; a write that crosses into the next page translates
     * that page's first byte too before any byte is written, so a write into a page it may not
     * write faults with memory unchanged and CR2 at that page's start (as QEMU).
     */
    private static void pagedWrite(Exec x, int lin, int n, int v) {
        int p = x.paging.write(x, lin) & x.mem.a20Mask;
        if ((lin & 0xFFF) <= 0x1000 - n) {
            for (int i = 0; i < n; i++) { // physically contiguous within the page (A20 is page-aligned)
                physWr8(x, p + i, v >>> (8 * i));
            }
            return;
        }
        x.paging.write(x, (lin + n - 1) & ~0xFFF);
        for (int i = 0; i < n; i++) {
            physWr8(x, x.paging.write(x, lin + i) & x.mem.a20Mask, v >>> (8 * i));
        }
    }

    /** With paging, the physical address of the code byte at linear {@code lin} (#PF on a page that is not present). */
    static int fetchAddress(Exec x, int lin) {
        return x.paging.read(x, lin) & x.mem.a20Mask;
    }

    /** With paging, the code byte at linear {@code lin} for the decoder (see {@link #fetchAddress}). */
    static int fetch8(Exec x, int lin) {
        return physRd8(x, fetchAddress(x, lin));
    }

    /** The byte at linear {@code lin} as the CPU would read it, without faulting or setting accessed bits (-1 if not mapped). */
    static int peek8(Exec x, int lin) {
        if (!x.pg) {
            return x.mem.read8((lin & x.a20) & 0xFFFFFFFFL);
        }
        long p = x.paging.peek(x, lin);
        return p < 0 ? -1 : x.mem.read8(p & x.mem.a20Mask & 0xFFFFFFFFL);
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
