package io.amiforge.x86.cpu;

import static io.amiforge.x86.cpu.Cpu.BIOS_TRAP_BASE;
import static io.amiforge.x86.cpu.Cpu.CS;
import static io.amiforge.x86.cpu.Cpu.RESET_VECTOR;

/**
 * Decodes the instruction at a physical address into a {@link DecodeCache} entry: prefixes
 * (operand and address size, segment override, REP/REPNE, LOCK ignored), the one- or two-byte
 * opcode, ModR/M, SIB and displacement, and the immediates the opcode table says follow. The
 * entry's info word packs {@code op | length << 10 | o32 << 14 | a32 << 15 | segment override
 * << 16 | rep << 19 | memory operand << 21 | ModR/M << 22}, with bit 31 set for a 16-bit
 * {@code [disp16]} operand whose address needs no registers; {@link Exec} reads it back.
 *
 * <p>Opcodes this CPU does not implement, and instructions longer than 15 bytes, decode to
 * {@link #OP_INVALID} (INT 6 when executed); code at the BIOS trap stubs (or the reset vector)
 * decodes to {@link #OP_BIOS}, which calls {@link CpuHost#bios}.
 */
final class Decoder {

    /** Pseudo-opcodes beyond the two-byte space (0x100-0x1FF). */
    static final int OP_INVALID = 0x200, OP_BIOS = 0x201;
    /** Index of the scratch entry for instructions that wrap the end of the code segment. */
    static final int SCRATCH = DecodeCache.SCRATCH * DecodeCache.STRIDE;

    private static final int M = 1; // has ModR/M
    private static final int I_NONE = 0, I_B = 1 << 1, I_BS = 2 << 1, I_V = 3 << 1, I_VS = 4 << 1, I_W = 5 << 1,
            I_ENTER = 6 << 1, I_FAR = 7 << 1, I_MOFFS = 8 << 1, I_GRP3 = 9 << 1;
    private static final int BAD = 1 << 8;
    private static final int[] ONE = new int[256];
    private static final int[] TWO = new int[256];

    static {
        for (int i = 0; i < 0x40; i++) {
            switch (i & 7) {
                case 0, 1, 2, 3 -> ONE[i] = M;
                case 4 -> ONE[i] = I_B;
                case 5 -> ONE[i] = I_V;
                default -> ONE[i] = 0;
            }
        }
        ONE[0x0F] = BAD; // handled as two-byte escape before table lookup
        ONE[0x62] = M;
        ONE[0x63] = BAD;
        ONE[0x68] = I_V;
        ONE[0x69] = M | I_V;
        ONE[0x6A] = I_BS;
        ONE[0x6B] = M | I_BS;
        for (int i = 0x70; i < 0x80; i++) {
            ONE[i] = I_BS;
        }
        ONE[0x80] = M | I_B;
        ONE[0x81] = M | I_V;
        ONE[0x82] = M | I_B;
        ONE[0x83] = M | I_BS;
        for (int i = 0x84; i <= 0x8F; i++) {
            ONE[i] = M;
        }
        ONE[0x9A] = I_FAR;
        for (int i = 0xA0; i <= 0xA3; i++) {
            ONE[i] = I_MOFFS;
        }
        ONE[0xA8] = I_B;
        ONE[0xA9] = I_V;
        for (int i = 0xB0; i < 0xB8; i++) {
            ONE[i] = I_B;
        }
        for (int i = 0xB8; i < 0xC0; i++) {
            ONE[i] = I_V;
        }
        ONE[0xC0] = M | I_B;
        ONE[0xC1] = M | I_B;
        ONE[0xC2] = I_W;
        ONE[0xC4] = M;
        ONE[0xC5] = M;
        ONE[0xC6] = M | I_B;
        ONE[0xC7] = M | I_V;
        ONE[0xC8] = I_ENTER;
        ONE[0xCA] = I_W;
        ONE[0xCD] = I_B;
        for (int i = 0xD0; i <= 0xD3; i++) {
            ONE[i] = M;
        }
        ONE[0xD4] = I_B;
        ONE[0xD5] = I_B;
        for (int i = 0xD8; i <= 0xDF; i++) {
            ONE[i] = M;
        }
        for (int i = 0xE0; i <= 0xE3; i++) {
            ONE[i] = I_BS;
        }
        for (int i = 0xE4; i <= 0xE7; i++) {
            ONE[i] = I_B;
        }
        ONE[0xE8] = I_VS;
        ONE[0xE9] = I_VS;
        ONE[0xEA] = I_FAR;
        ONE[0xEB] = I_BS;
        ONE[0xF1] = BAD;
        ONE[0xF6] = M | I_GRP3;
        ONE[0xF7] = M | I_GRP3;
        ONE[0xFE] = M;
        ONE[0xFF] = M;

        java.util.Arrays.fill(TWO, BAD);
        for (int i : new int[] {0x00, 0x01, 0x20, 0x21, 0x22, 0x23, 0xA3, 0xAB, 0xAF, 0xB0, 0xB1, 0xB2, 0xB3, 0xB4,
                0xB5, 0xB6, 0xB7, 0xBB, 0xBC, 0xBD, 0xBE, 0xBF, 0xC0, 0xC1, 0xA5, 0xAD}) {
            TWO[i] = M;
        }
        for (int i = 0x18; i <= 0x1F; i++) {
            TWO[i] = M; // hint NOPs
        }
        for (int i = 0x40; i <= 0x4F; i++) {
            TWO[i] = M; // CMOVcc
        }
        for (int i = 0x90; i <= 0x9F; i++) {
            TWO[i] = M;
        }
        TWO[0xA4] = M | I_B;
        TWO[0xAC] = M | I_B;
        TWO[0xBA] = M | I_B;
        for (int i = 0x80; i <= 0x8F; i++) {
            TWO[i] = I_VS;
        }
        for (int i : new int[] {0x06, 0x08, 0x09, 0x30, 0x31, 0x32, 0xA0, 0xA1, 0xA2, 0xA8, 0xA9}) {
            TWO[i] = 0;
        }
        for (int i = 0xC8; i <= 0xCF; i++) {
            TWO[i] = 0;
        }
    }

    private final Exec x;
    private final int[] ce, sb;
    private final CpuHost host;
    private final Cpu cpu;
    /** Whether the BIOS stubs trap to the host (off for bare CPU tests). */
    boolean biosTraps = true;

    Decoder(Exec x, DecodeCache dc, CpuHost host, Cpu cpu) {
        this.x = x;
        this.ce = dc.e;
        this.sb = x.sb;
        this.host = host;
        this.cpu = cpu;
    }

    /** Code byte {@code k} of the instruction at CS:{@code ip0} (a 16-bit IP wraps within the segment). */
    private int fb(int ip0, int k) {
        if (x.pg) {
            return Bus.fetch8(x, sb[CS] + ((ip0 + k) & x.ipMask));
        }
        int a = (sb[CS] + ((ip0 + k) & x.ipMask)) & x.a20;
        return Integer.compareUnsigned(a, x.flat) < 0 ? x.ram[a] & 0xFF : x.mem.read8(a & 0xFFFFFFFFL);
    }

    /**
     * Decodes the instruction at {@code key} (= CS:{@code ip0}: the physical address, or with
     * paging the linear one) into entry {@code slot}, or into the scratch entry if it cannot be
     * cached; returns the entry used.
     *
     * <p>With paging the entry is the linear table's ({@link DecodeCache#linearSlot}): a hit
     * there returns at once; on a miss the fetch is translated here (a #PF returns to this
     * instruction) and the instruction is cached unless it crosses into the next page (whose
     * mapping may differ) or lies outside the RAM array.
     */
    int decode(int key, int slot, int ip0) {
        int phys = key;
        if (x.pg) {
            int ls = DecodeCache.linearSlot(key);
            if (ce[ls] == key && ce[ls + DecodeCache.MODE] == x.codeTag) {
                return ls;
            }
            x.startIp = ip0;
            x.cinf = 0;
            phys = Bus.fetchAddress(x, key);
            slot = (key & 0xFFF) <= 0xFF1 ? ls : SCRATCH;
        }
        // not cached: code that may wrap a 16-bit segment, and code above the flat RAM array
        if ((ip0 > 0xFFF0 && x.ipMask == 0xFFFF) || Integer.compareUnsigned(phys, x.flat - 16) >= 0) {
            slot = SCRATCH;
        }
        if (biosTraps && ((phys & ~0xFF) == BIOS_TRAP_BASE || phys == 0xFFFF0)) {
            if (slot == SCRATCH) {
                ce[slot] = -1;
            } else {
                tag(slot, key, phys, 1);
            }
            ce[slot + 1] = OP_BIOS | (1 << 10);
            ce[slot + 3] = phys == 0xFFFF0 ? RESET_VECTOR : phys & 0xFF;
            return slot;
        }
        byte[] ram = x.ram;
        if (phys >= 0 && phys + 6 < ram.length && (phys & 0xF) == 0 && ram[phys] == (byte) 0xEB && ram[phys + 2] == 'H'
                && ram[phys + 3] == 'd' && ram[phys + 4] == 'r' && ram[phys + 5] == 'S') {
            host.kernelEntry(phys, cpu);
        }
        if (x.codeTag < 0) {
            host.codeEntry32(phys, cpu);
        }
        int big = x.codeTag >>> 31; // a 32-bit code segment flips the default operand and address size
        int k = 0, o = big, a = big, seg = 0, rp = 0, b;
        prefixes:
        while (true) {
            if (k >= 14) {
                return storeInvalid(slot, key, phys, k);
            }
            b = fb(ip0, k++);
            switch (b) {
                case 0x26 -> seg = 1;
                case 0x2E -> seg = 2;
                case 0x36 -> seg = 3;
                case 0x3E -> seg = 4;
                case 0x64 -> seg = 5;
                case 0x65 -> seg = 6;
                case 0x66 -> o = big ^ 1;
                case 0x67 -> a = big ^ 1;
                case 0xF0 -> { }
                case 0xF2 -> rp = 2;
                case 0xF3 -> rp = 1;
                default -> {
                    break prefixes;
                }
            }
        }
        int op = b;
        int t;
        if (b == 0x0F) {
            op = 0x100 | fb(ip0, k++);
            t = TWO[op & 0xFF];
        } else {
            t = ONE[op];
        }
        if ((t & BAD) != 0) {
            return storeInvalid(slot, key, phys, k);
        }
        int rm = 0, disp = 0, imm = 0, imm2 = 0, memop = 0;
        if ((t & M) != 0) {
            rm = fb(ip0, k++);
            int mod = rm >>> 6, rmf = rm & 7;
            if (mod != 3) {
                memop = 1;
                if (a == 0) {
                    if (mod == 0 && rmf == 6) {
                        disp = fb(ip0, k) | fb(ip0, k + 1) << 8;
                        k += 2;
                    } else if (mod == 1) {
                        disp = (byte) fb(ip0, k++);
                    } else if (mod == 2) {
                        disp = fb(ip0, k) | fb(ip0, k + 1) << 8;
                        k += 2;
                    }
                } else {
                    int base = rmf;
                    if (rmf == 4) {
                        imm2 = fb(ip0, k++);
                        base = imm2 & 7;
                    }
                    if (mod == 0 && base == 5) {
                        disp = fetch32(ip0, k);
                        k += 4;
                    } else if (mod == 1) {
                        disp = (byte) fb(ip0, k++);
                    } else if (mod == 2) {
                        disp = fetch32(ip0, k);
                        k += 4;
                    }
                }
            }
        }
        int it = t & (0xF << 1);
        if (it == I_GRP3) {
            it = ((rm >>> 3) & 7) < 2 ? (op == 0xF6 ? I_B : I_V) : I_NONE;
        }
        switch (it) {
            case I_B -> imm = fb(ip0, k++);
            case I_BS -> imm = (byte) fb(ip0, k++);
            case I_V, I_VS -> {
                if (o == 1) {
                    imm = fetch32(ip0, k);
                    k += 4;
                } else {
                    imm = fb(ip0, k) | fb(ip0, k + 1) << 8;
                    if (it == I_VS) {
                        imm = (short) imm;
                    }
                    k += 2;
                }
            }
            case I_W -> {
                imm = fb(ip0, k) | fb(ip0, k + 1) << 8;
                k += 2;
            }
            case I_ENTER -> {
                imm = fb(ip0, k) | fb(ip0, k + 1) << 8;
                imm2 = fb(ip0, k + 2);
                k += 3;
            }
            case I_FAR -> {
                if (o == 1) {
                    imm = fetch32(ip0, k);
                    k += 4;
                } else {
                    imm = fb(ip0, k) | fb(ip0, k + 1) << 8;
                    k += 2;
                }
                imm2 = fb(ip0, k) | fb(ip0, k + 1) << 8;
                k += 2;
            }
            case I_MOFFS -> {
                if (a == 1) {
                    disp = fetch32(ip0, k);
                    k += 4;
                } else {
                    disp = fb(ip0, k) | fb(ip0, k + 1) << 8;
                    k += 2;
                }
            }
            default -> { }
        }
        if (k > 15) {
            return storeInvalid(slot, key, phys, k);
        }
        if (slot != SCRATCH) {
            tag(slot, key, phys, k);
        }
        int direct = memop == 1 && a == 0 && (rm & 0xC7) == 0x06 ? 1 << 31 : 0;
        ce[slot + 1] = op | k << 10 | o << 14 | a << 15 | seg << 16 | rp << 19 | memop << 21 | rm << 22 | direct;
        ce[slot + 2] = disp;
        ce[slot + 3] = imm;
        ce[slot + 4] = imm2;
        return slot;
    }

    /**
     * Tags entry {@code slot} as the instruction of {@code len} bytes at {@code key} (physical, or
     * linear in the linear table with the code tag beside it) and marks its physical bytes as code.
     */
    private void tag(int slot, int key, int phys, int len) {
        if (x.pg) {
            ce[slot] = key;
            ce[slot + DecodeCache.MODE] = x.codeTag;
            x.mem.cache.linear = true;
        } else {
            ce[slot] = key | x.codeTag;
        }
        Bus.markCode(x, phys, len);
    }

    private int fetch32(int ip0, int k) {
        return fb(ip0, k) | fb(ip0, k + 1) << 8 | fb(ip0, k + 2) << 16 | fb(ip0, k + 3) << 24;
    }

    private int storeInvalid(int slot, int key, int phys, int k) {
        int len = Math.min(Math.max(k, 1), 15);
        if (slot != SCRATCH) {
            tag(slot, key, phys, len);
        }
        ce[slot + 1] = OP_INVALID | len << 10;
        ce[slot + 3] = 0;
        return slot;
    }
}
