package io.amiforge.x86.cpu;

import static io.amiforge.x86.cpu.Cpu.AF;
import static io.amiforge.x86.cpu.Cpu.CF;
import static io.amiforge.x86.cpu.Cpu.OF;
import static io.amiforge.x86.cpu.Cpu.PF;
import static io.amiforge.x86.cpu.Cpu.SF;
import static io.amiforge.x86.cpu.Cpu.ZF;

/**
 * The architectural state of the 386: general registers, segment selectors with their cached
 * real-mode bases, IP, EFLAGS, control and descriptor-table registers, and the instruction
 * count. The arithmetic flags are lazy: an ALU instruction records its operation, operand size,
 * operands and result ({@link #lazy}); CF, ZF, SF, OF, PF and AF are computed from that record
 * when read, and {@link #flagsValue()} folds them into {@link #flags}.
 *
 * <p>Size codes are 0 (byte), 1 (word), 2 (dword); registers are numbered as x86 encodes them
 * ({@link Cpu#EAX}..{@link Cpu#EDI}, byte registers AL CL DL BL AH CH DH BH).
 *
 * <p>Sealed, extended only by {@link Exec}, so the interpreter's hot path works on one object
 * while the state and its flag logic stay a type of their own.
 */
abstract sealed class CpuState permits Exec {

    /** Lazy-flag operations: what produced the last result. */
    static final int L_NONE = 0, L_ADD = 1, L_SUB = 2, L_LOGIC = 3, L_INC = 4, L_DEC = 5;
    private static final int ARITH = CF | PF | AF | ZF | SF | OF;
    private static final byte[] PARITY = new byte[256];

    static {
        for (int i = 0; i < 256; i++) {
            PARITY[i] = (byte) ((Integer.bitCount(i) & 1) == 0 ? PF : 0);
        }
    }

    /** Operand mask for size code 0 (byte), 1 (word), 2 (dword). */
    static int mask(int sz) {
        return -1 >>> (32 - (8 << sz));
    }

    /** Sign-bit position for size code 0, 1, 2. */
    static int msb(int sz) {
        return (8 << sz) - 1;
    }

    final int[] r = new int[8];
    /** Segment selectors and their bases (selector << 4 in real mode). */
    final int[] sr = new int[6];
    final int[] sb = new int[6];
    /**
     * The rest of each segment's descriptor cache: its limit (in bytes, granularity applied)
     * and attributes (the descriptor's access byte in bits 0-7, its G, D/B, L and AVL flags in
     * bits 12-15). A real-mode load changes only selector and base, so limits and attributes
     * loaded in protected mode survive a return to real mode ("unreal mode"), as on a 386.
     */
    final int[] slim = {0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF};
    final int[] sattr = {0x93, 0x9B, 0x93, 0x93, 0x93, 0x93};
    /** Attribute bit of a segment's D/B flag (32-bit code or stack). */
    static final int ATTR_BIG = 0x4000;
    /** Width masks of EIP (CS.D) and of the stack pointer (SS.B): 0xFFFF or all ones. */
    int ipMask = 0xFFFF, spMask = 0xFFFF;
    /**
     * CS.D << 31, kept in decode-cache tags since the same bytes decode differently in 16- and
     * 32-bit code, plus {@link #PAGED_TAG} while paging is on (the cache is then keyed by linear
     * address).
     */
    int codeTag;
    /**
     * Code-tag bit while paging is on: no physical decode-cache tag has it (they are below
     * 1 MiB + 64 KiB), so the fetch loop's physical lookup misses and the decoder's linear
     * table answers ({@link DecodeCache}).
     */
    static final int PAGED_TAG = 1 << 30;
    /** CR0.PG: linear addresses go through the paging unit. */
    boolean pg;
    /** CR0.PE: segment loads go through descriptor tables, interrupts through the IDT. */
    boolean pe;
    int ldtr, ldtBase, ldtLimit, tr, trBase, trLimit;
    int ip;
    /** EFLAGS; the arithmetic bits are stale while {@link #lop} is not {@link #L_NONE}. */
    int flags = 2;
    int cr0, cr2, cr3, cr4;
    int gdtBase, gdtLimit, idtBase, idtLimit = 0x3FF;
    long icount;

    /** The last flag-setting operation: kind, sign-bit position, operands and masked result. */
    int lop, lmsb, ldst, lsrc, lres;

    // ---- registers ----

    /** 8-bit register by x86 number (AL CL DL BL AH CH DH BH). */
    int reg8(int i) {
        return i < 4 ? r[i] & 0xFF : (r[i - 4] >>> 8) & 0xFF;
    }

    void setReg8(int i, int v) {
        if (i < 4) {
            r[i] = (r[i] & ~0xFF) | (v & 0xFF);
        } else {
            r[i - 4] = (r[i - 4] & ~0xFF00) | ((v & 0xFF) << 8);
        }
    }

    int getReg(int sz, int i) {
        return sz == 1 ? r[i] & 0xFFFF : sz == 0 ? reg8(i) : r[i];
    }

    void setReg(int sz, int i, int v) {
        if (sz == 1) {
            r[i] = (r[i] & 0xFFFF0000) | (v & 0xFFFF);
        } else if (sz == 0) {
            setReg8(i, v);
        } else {
            r[i] = v;
        }
    }

    /** Loads a segment register the real-mode way: base = selector * 16; limit and attributes stay cached. */
    void setSeg(int i, int v) {
        sr[i] = v & 0xFFFF;
        sb[i] = (v & 0xFFFF) << 4;
    }

    /** Recomputes the CS- and SS-dependent widths after either was loaded. */
    void segmentsChanged() {
        boolean code32 = (sattr[Cpu.CS] & ATTR_BIG) != 0;
        ipMask = code32 ? -1 : 0xFFFF;
        codeTag = (code32 ? 1 << 31 : 0) | (pg ? PAGED_TAG : 0);
        spMask = (sattr[Cpu.SS] & ATTR_BIG) != 0 ? -1 : 0xFFFF;
    }

    // ---- flags ----

    /** Records a flag-setting ALU result of size {@code sz} from operands {@code d} and {@code s}. */
    void lazy(int op, int sz, int d, int s, int res) {
        lop = op;
        lmsb = msb(sz);
        ldst = d;
        lsrc = s;
        lres = res & mask(sz);
    }

    int cfNow() {
        return switch (lop) {
            case L_NONE, L_INC, L_DEC -> flags & CF;
            case L_ADD -> (((ldst & lsrc) | ((ldst | lsrc) & ~lres)) >>> lmsb) & 1;
            case L_SUB -> (((~ldst & lsrc) | ((~ldst | lsrc) & lres)) >>> lmsb) & 1;
            default -> 0;
        };
    }

    boolean zfNow() {
        return lop == L_NONE ? (flags & ZF) != 0 : lres == 0;
    }

    boolean sfNow() {
        return lop == L_NONE ? (flags & SF) != 0 : ((lres >>> lmsb) & 1) != 0;
    }

    int ofNow() {
        return switch (lop) {
            case L_NONE -> (flags >>> 11) & 1;
            case L_ADD, L_INC -> (((ldst ^ lres) & (lsrc ^ lres)) >>> lmsb) & 1;
            case L_SUB, L_DEC -> (((ldst ^ lsrc) & (ldst ^ lres)) >>> lmsb) & 1;
            default -> 0;
        };
    }

    /** EFLAGS with the lazy arithmetic flags folded in (after which they are no longer lazy). */
    int flagsValue() {
        if (lop != L_NONE) {
            int f = flags & ~ARITH;
            f |= cfNow();
            f |= PARITY[lres & 0xFF];
            if (lop != L_LOGIC) {
                f |= (ldst ^ lsrc ^ lres) & AF;
            }
            if (lres == 0) {
                f |= ZF;
            }
            if (((lres >>> lmsb) & 1) != 0) {
                f |= SF;
            }
            f |= ofNow() << 11;
            flags = f;
            lop = L_NONE;
        }
        return flags;
    }

    /** Replaces EFLAGS, keeping only the bits a 386 lets software change (bit 1 always set). */
    void setFlags(int v) {
        lop = L_NONE;
        flags = (v & 0x00247FD5) | 2;
    }

    /**
     * Sets the arithmetic flags from a result computed eagerly (shifts, multiplies, BCD). All six are replaced, so
     * a pending lazy record is dropped without being evaluated ({@link #flagsValue} would change only those six).
     */
    void setSZP(int sz, int res, int others) {
        res &= mask(sz);
        lop = L_NONE;
        int f = flags & ~ARITH;
        f |= PARITY[res & 0xFF] | others;
        if (res == 0) {
            f |= ZF;
        }
        if (((res >>> msb(sz)) & 1) != 0) {
            f |= SF;
        }
        flags = f;
    }

    /** Condition code {@code cc} (the low nibble of Jcc/SETcc/CMOVcc) on the current flags. */
    boolean cond(int cc) {
        boolean v = switch (cc >>> 1) {
            case 0 -> ofNow() != 0;
            case 1 -> cfNow() != 0;
            case 2 -> zfNow();
            case 3 -> cfNow() != 0 || zfNow();
            case 4 -> sfNow();
            case 5 -> (flagsValue() & PF) != 0;
            case 6 -> sfNow() != (ofNow() != 0);
            default -> zfNow() || sfNow() != (ofNow() != 0);
        };
        return v ^ ((cc & 1) != 0);
    }
}
