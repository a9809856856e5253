package io.amiforge.x86.cpu;

/**
 * An Intel 80386 in real mode: 16-bit default operand and address size with the 0x66/0x67
 * prefixes, 32-bit registers and SIB addressing, segment overrides including FS/GS, REP
 * prefixes, exact arithmetic flags (computed lazily from the last result), the integer
 * instruction set a boot loader or kernel setup uses, and faults delivered through the IVT
 * (divide error INT 0, invalid opcode INT 6 with the bytes and CS:IP kept for the report).
 *
 * <p>Decode once, execute many: each instruction is decoded on first execution into the
 * {@link DecodeCache} under its physical address; writes into a 128-byte chunk that holds
 * decoded code forget those entries. The execution loop allocates nothing; a fault or a stop
 * unwinds with a pre-allocated stackless signal.
 *
 * <p>Not emulated: protected mode (setting CR0.PE stops the run with
 * {@link StopReason#PROTECTED_MODE}), hardware interrupts, the trap flag, the FPU (escape
 * opcodes decode their operand and do nothing), segment-limit faults (a word at offset 0xFFFF
 * wraps within the segment, as on the 8086).
 */
public final class Cpu {

    public static final int EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;
    public static final int ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;
    public static final int CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, TF = 0x100, IF = 0x200,
            DF = 0x400, OF = 0x800;
    /** Physical address of the BIOS trap stubs: vector v's stub is at {@code BIOS_TRAP_BASE + v}. */
    public static final int BIOS_TRAP_BASE = 0xF1000;
    /** Segment and offset of the BIOS trap stubs. */
    public static final int BIOS_SEGMENT = 0xF000, BIOS_TRAP_OFFSET = 0x1000;
    /** Pseudo-vector passed to {@link CpuHost#bios} when the guest jumps to the reset vector. */
    public static final int RESET_VECTOR = 0x100;

    private static final int ARITH = CF | PF | AF | ZF | SF | OF;
    /** Operand mask for size code 0 (byte), 1 (word), 2 (dword). */
    private static int mask(int sz) {
        return -1 >>> (32 - (8 << sz));
    }

    /** Sign-bit position for size code 0, 1, 2. */
    private static int msb(int sz) {
        return (8 << sz) - 1;
    }
    private static final int L_NONE = 0, L_ADD = 1, L_SUB = 2, L_LOGIC = 3, L_INC = 4, L_DEC = 5;
    private static final byte[] PARITY = new byte[256];

    static final int OP_INVALID = 0x200, OP_BIOS = 0x201;
    private static final int SCRATCH = DecodeCache.SCRATCH * DecodeCache.STRIDE;

    static {
        for (int i = 0; i < 256; i++) {
            PARITY[i] = (byte) ((Integer.bitCount(i) & 1) == 0 ? PF : 0);
        }
    }

    // ---- architectural state ----
    final int[] r = new int[8];
    final int[] sr = new int[6];
    final int[] sb = new int[6];
    int ip;
    int flags = 2;
    int cr0, cr2, cr3, cr4;
    int gdtBase, gdtLimit, idtBase, idtLimit = 0x3FF;
    long icount;

    // lazy flags
    int lop, lmsb, ldst, lsrc, lres;

    // ---- machine ----
    private final Memory mem;
    private final byte[] ram;
    private final byte[] mark;
    private int a20;
    private final DecodeCache dc;
    private final int[] ce;
    private final CpuHost host;
    private boolean biosTraps = true;

    // ---- current instruction ----
    private int startIp, cur, cinf;

    private int o32() {
        return (cinf >>> 14) & 1;
    }

    private int a32() {
        return (cinf >>> 15) & 1;
    }

    private int segOv() {
        return (cinf >>> 16) & 7;
    }

    private int rep() {
        return (cinf >>> 19) & 3;
    }

    private int modrm() {
        return (cinf >>> 22) & 0xFF;
    }
    private int eaBase, eaOff;
    private long limit;

    // ---- stop/fault info ----
    private StopReason stopReason;
    private String stopDetail;
    private int faultCs = -1, faultIp, faultVector = -1;
    private byte[] faultBytes = new byte[0];
    private int faultBytesLen;

    public Cpu(Memory mem, CpuHost host) {
        this.mem = mem;
        this.ram = mem.ram;
        this.mark = mem.mark;
        this.a20 = mem.a20Mask;
        this.dc = new DecodeCache();
        mem.cache = dc;
        this.ce = dc.e;
        this.host = host;
        this.faultBytes = new byte[16];
    }

    // =====================================================================================
    // public API
    // =====================================================================================

    public Memory memory() {
        return mem;
    }

    /** Whether code at the BIOS stubs traps to {@link CpuHost#bios} (default true; off for bare CPU tests). */
    public void setBiosTraps(boolean on) {
        biosTraps = on;
        dc.clear();
    }

    /** Opens or closes the A20 gate. */
    public void setA20(boolean on) {
        mem.setA20(on);
        a20 = mem.a20Mask;
    }

    public boolean a20() {
        return mem.a20();
    }

    /** Runs until a stop or until {@code maxInstructions} more instructions have executed. */
    public StopReason run(long maxInstructions) {
        limit = maxInstructions >= Long.MAX_VALUE - icount ? Long.MAX_VALUE : icount + maxInstructions;
        stopReason = null;
        stopDetail = null;
        while (true) {
            try {
                while (icount < limit) {
                    step();
                }
                return StopReason.BUDGET;
            } catch (CpuSignal s) {
                if (s == CpuSignal.STOP) {
                    return stopReason;
                }
            }
        }
    }

    /**
     * Executes exactly one instruction (a REP-prefixed one to completion), delivering a fault
     * it raises; returns null, or the reason the instruction stopped the machine.
     */
    public StopReason stepInstruction() {
        limit = Long.MAX_VALUE;
        stopReason = null;
        try {
            step();
        } catch (CpuSignal s) {
            if (s == CpuSignal.STOP) {
                return stopReason;
            }
        }
        return null;
    }

    /** Ends the current {@link #run} with {@code reason}; callable from host callbacks. */
    public void stop(StopReason reason, String detail) {
        stopReason = reason;
        stopDetail = detail;
        throw CpuSignal.STOP;
    }

    public String stopDetail() {
        return stopDetail;
    }

    public long instructions() {
        return icount;
    }

    public int reg32(int i) {
        return r[i];
    }

    public void setReg32(int i, int v) {
        r[i] = v;
    }

    public int reg16(int i) {
        return r[i] & 0xFFFF;
    }

    public void setReg16(int i, int v) {
        r[i] = (r[i] & 0xFFFF0000) | (v & 0xFFFF);
    }

    /** 8-bit register by x86 number (AL CL DL BL AH CH DH BH). */
    public int reg8(int i) {
        return i < 4 ? r[i] & 0xFF : (r[i - 4] >>> 8) & 0xFF;
    }

    public void setReg8(int i, int v) {
        if (i < 4) {
            r[i] = (r[i] & ~0xFF) | (v & 0xFF);
        } else {
            r[i - 4] = (r[i - 4] & ~0xFF00) | ((v & 0xFF) << 8);
        }
    }

    public int seg(int i) {
        return sr[i];
    }

    public void setSeg(int i, int v) {
        sr[i] = v & 0xFFFF;
        sb[i] = (v & 0xFFFF) << 4;
    }

    public int ip() {
        return ip;
    }

    public void setIp(int v) {
        ip = v & 0xFFFF;
    }

    /** EFLAGS with the arithmetic flags computed. */
    public int flags() {
        return flagsValue();
    }

    public void setFlags(int v) {
        lop = L_NONE;
        flags = (v & 0x00247FD5) | 2;
    }

    public void setFlag(int flag, boolean on) {
        int f = flagsValue();
        flags = on ? f | flag : f & ~flag;
    }

    public int cr0() {
        return cr0;
    }

    /** The fault (vector, CS:IP, instruction bytes) the CPU delivered most recently, or vector -1. */
    public int faultVector() {
        return faultVector;
    }

    /** Forgets the last fault. */
    public void clearFault() {
        faultVector = -1;
    }

    public int faultCs() {
        return faultCs;
    }

    public int faultIp() {
        return faultIp;
    }

    public byte[] faultBytes() {
        return java.util.Arrays.copyOf(faultBytes, faultBytesLen);
    }

    /** Linear address of CS:IP. */
    public int linearIp() {
        return (sb[CS] + ip) & a20;
    }

    /** Reads guest memory at segment base + offset as the CPU would (A20 applies). */
    public int readLinear8(int linear) {
        return ram[linear & a20] & 0xFF;
    }

    // =====================================================================================
    // the loop
    // =====================================================================================

    private void step() {
        int ip0 = ip;
        int phys = (sb[CS] + ip0) & a20;
        int slot = (phys & (DecodeCache.SIZE - 1)) << 3;
        if (ce[slot] != phys) {
            slot = decode(phys, slot, ip0);
        }
        int inf = ce[slot + 1];
        cur = slot;
        cinf = inf;
        startIp = ip0;
        ip = (ip0 + ((inf >>> 10) & 0xF)) & 0xFFFF;
        icount++;
        int op = inf & 0x3FF;
        if ((inf & (1 << 21)) != 0) {
            if (inf < 0) { // [disp16] with 16-bit addressing
                int seg = (inf >>> 16) & 7;
                eaBase = seg == 0 ? sb[DS] : sb[seg - 1];
                eaOff = ce[slot + 2];
            } else {
                ea();
                if ((eaOff & 0xFFFF0000) != 0 && op != 0x8D && (op < 0x118 || op > 0x11F)) {
                    fault(13);
                }
            }
        }
        if (op < 0x100) {
            exec1(op);
        } else {
            exec2(op);
        }
    }

    // =====================================================================================
    // decoder
    // =====================================================================================

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

    private int fb(int ip0, int k) {
        return ram[(sb[CS] + ((ip0 + k) & 0xFFFF)) & a20] & 0xFF;
    }

    private int decode(int phys, int slot, int ip0) {
        if (ip0 > 0xFFF0) {
            slot = SCRATCH;
        }
        if (biosTraps && ((phys & ~0xFF) == BIOS_TRAP_BASE || phys == 0xFFFF0)) {
            ce[slot] = slot == SCRATCH ? -1 : phys;
            ce[slot + 1] = OP_BIOS | (1 << 10);
            ce[slot + 3] = phys == 0xFFFF0 ? RESET_VECTOR : phys & 0xFF;
            return slot;
        }
        if (phys + 6 < ram.length && (phys & 0xF) == 0 && ram[phys] == (byte) 0xEB && ram[phys + 2] == 'H'
                && ram[phys + 3] == 'd' && ram[phys + 4] == 'r' && ram[phys + 5] == 'S') {
            host.kernelEntry(phys, this);
        }
        int k = 0, o = 0, a = 0, seg = 0, rp = 0, b;
        prefixes:
        while (true) {
            if (k >= 14) {
                return storeInvalid(slot, phys, ip0, k);
            }
            b = fb(ip0, k++);
            switch (b) {
                case 0x26 -> seg = 1;
                case 0x2E -> seg = 2;
                case 0x36 -> seg = 3;
                case 0x3E -> seg = 4;
                case 0x64 -> seg = 5;
                case 0x65 -> seg = 6;
                case 0x66 -> o = 1;
                case 0x67 -> a = 1;
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
            return storeInvalid(slot, phys, ip0, k);
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
            return storeInvalid(slot, phys, ip0, k);
        }
        if (slot != SCRATCH) {
            ce[slot] = phys;
            markCode(phys, k);
        }
        int direct = memop == 1 && a == 0 && (rm & 0xC7) == 0x06 ? 1 << 31 : 0;
        ce[slot + 1] = op | k << 10 | o << 14 | a << 15 | seg << 16 | rp << 19 | memop << 21 | rm << 22 | direct;
        ce[slot + 2] = disp;
        ce[slot + 3] = imm;
        ce[slot + 4] = imm2;
        return slot;
    }

    private void markCode(int phys, int len) {
        int c1 = phys >>> Memory.CHUNK_SHIFT, c2 = Math.min(phys + len - 1, ram.length - 1) >>> Memory.CHUNK_SHIFT;
        if (mark[c1] == 0) {
            mark[c1] = Memory.MARK_CODE;
        }
        if (c2 < mark.length && mark[c2] == 0) {
            mark[c2] = Memory.MARK_CODE;
        }
    }

    private int fetch32(int ip0, int k) {
        return fb(ip0, k) | fb(ip0, k + 1) << 8 | fb(ip0, k + 2) << 16 | fb(ip0, k + 3) << 24;
    }

    private int storeInvalid(int slot, int phys, int ip0, int k) {
        int len = Math.min(Math.max(k, 1), 15);
        if (slot != SCRATCH) {
            ce[slot] = phys;
            markCode(phys, len);
        }
        ce[slot + 1] = OP_INVALID | len << 10;
        ce[slot + 3] = 0;
        return slot;
    }

    // =====================================================================================
    // effective addresses and memory
    // =====================================================================================

    private void ea() {
        int mod = modrm() >>> 6, rm = modrm() & 7;
        int seg = DS, off;
        if (a32() == 0) {
            switch (rm) {
                case 0 -> off = r[EBX] + r[ESI];
                case 1 -> off = r[EBX] + r[EDI];
                case 2 -> {
                    off = r[EBP] + r[ESI];
                    seg = SS;
                }
                case 3 -> {
                    off = r[EBP] + r[EDI];
                    seg = SS;
                }
                case 4 -> off = r[ESI];
                case 5 -> off = r[EDI];
                case 6 -> {
                    if (mod == 0) {
                        off = 0;
                    } else {
                        off = r[EBP];
                        seg = SS;
                    }
                }
                default -> off = r[EBX];
            }
            off = (off + ce[cur + 2]) & 0xFFFF;
        } else {
            if (rm == 4) {
                int sib = ce[cur + 4], base = sib & 7, idx = (sib >>> 3) & 7;
                off = idx == 4 ? 0 : r[idx] << (sib >>> 6);
                if (!(base == 5 && mod == 0)) {
                    off += r[base];
                    if (base == ESP || base == EBP) {
                        seg = SS;
                    }
                }
            } else if (rm == 5 && mod == 0) {
                off = 0;
            } else {
                off = r[rm];
                if (rm == EBP) {
                    seg = SS;
                }
            }
            off += ce[cur + 2];
        }
        if (segOv() != 0) {
            seg = segOv() - 1;
        }
        eaBase = sb[seg];
        eaOff = off;
    }

    private int dataSeg() {
        return segOv() != 0 ? sb[segOv() - 1] : sb[DS];
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

    private int rd(int sz, int base, int off) {
        return sz == 1 ? rd16(base, off) : sz == 0 ? rd8(base, off) : rd32(base, off);
    }

    private void wr(int sz, int base, int off, int v) {
        if (sz == 1) {
            wr16(base, off, v);
        } else if (sz == 0) {
            wr8(base, off, v);
        } else {
            wr32(base, off, v);
        }
    }

    private int getReg(int sz, int i) {
        return sz == 1 ? r[i] & 0xFFFF : sz == 0 ? reg8(i) : r[i];
    }

    private void setReg(int sz, int i, int v) {
        if (sz == 1) {
            r[i] = (r[i] & 0xFFFF0000) | (v & 0xFFFF);
        } else if (sz == 0) {
            setReg8(i, v);
        } else {
            r[i] = v;
        }
    }

    private int readRM(int sz) {
        return modrm() >= 0xC0 ? getReg(sz, modrm() & 7) : rd(sz, eaBase, eaOff);
    }

    private void writeRM(int sz, int v) {
        if (modrm() >= 0xC0) {
            setReg(sz, modrm() & 7, v);
        } else {
            wr(sz, eaBase, eaOff, v);
        }
    }

    private int regField() {
        return (modrm() >>> 3) & 7;
    }

    // ---- stack ----

    private void push16(int v) {
        int sp = (r[ESP] - 2) & 0xFFFF;
        wr16(sb[SS], sp, v);
        r[ESP] = (r[ESP] & 0xFFFF0000) | sp;
    }

    private void push32(int v) {
        int sp = (r[ESP] - 4) & 0xFFFF;
        wr32(sb[SS], sp, v);
        r[ESP] = (r[ESP] & 0xFFFF0000) | sp;
    }

    private void push(int v) {
        if (o32() == 0) {
            push16(v);
        } else {
            push32(v);
        }
    }

    private int pop16() {
        int sp = r[ESP] & 0xFFFF;
        int v = rd16(sb[SS], sp);
        r[ESP] = (r[ESP] & 0xFFFF0000) | ((sp + 2) & 0xFFFF);
        return v;
    }

    private int pop32() {
        int sp = r[ESP] & 0xFFFF;
        int v = rd32(sb[SS], sp);
        r[ESP] = (r[ESP] & 0xFFFF0000) | ((sp + 4) & 0xFFFF);
        return v;
    }

    private int pop() {
        return o32() == 0 ? pop16() : pop32();
    }

    // =====================================================================================
    // flags
    // =====================================================================================

    private void lazy(int op, int sz, int d, int s, int res) {
        lop = op;
        lmsb = msb(sz);
        ldst = d;
        lsrc = s;
        lres = res & mask(sz);
    }

    private int cfNow() {
        return switch (lop) {
            case L_NONE, L_INC, L_DEC -> flags & CF;
            case L_ADD -> (((ldst & lsrc) | ((ldst | lsrc) & ~lres)) >>> lmsb) & 1;
            case L_SUB -> (((~ldst & lsrc) | ((~ldst | lsrc) & lres)) >>> lmsb) & 1;
            default -> 0;
        };
    }

    private boolean zfNow() {
        return lop == L_NONE ? (flags & ZF) != 0 : lres == 0;
    }

    private boolean sfNow() {
        return lop == L_NONE ? (flags & SF) != 0 : ((lres >>> lmsb) & 1) != 0;
    }

    private int ofNow() {
        return switch (lop) {
            case L_NONE -> (flags >>> 11) & 1;
            case L_ADD, L_INC -> (((ldst ^ lres) & (lsrc ^ lres)) >>> lmsb) & 1;
            case L_SUB, L_DEC -> (((ldst ^ lsrc) & (ldst ^ lres)) >>> lmsb) & 1;
            default -> 0;
        };
    }

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

    /** Sets the arithmetic flags from a result computed eagerly (shifts, multiplies, BCD). */
    private void setSZP(int sz, int res, int others) {
        res &= mask(sz);
        int f = flagsValue() & ~ARITH;
        f |= PARITY[res & 0xFF] | others;
        if (res == 0) {
            f |= ZF;
        }
        if (((res >>> msb(sz)) & 1) != 0) {
            f |= SF;
        }
        flags = f;
    }

    private boolean cond(int cc) {
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

    // =====================================================================================
    // ALU
    // =====================================================================================

    /** op: 0 ADD, 1 OR, 2 ADC, 3 SBB, 4 AND, 5 SUB, 6 XOR, 7 CMP. Returns the result. */
    private int alu(int op, int sz, int d, int s) {
        int m = mask(sz);
        d &= m;
        s &= m;
        int res;
        switch (op) {
            case 0 -> {
                res = d + s;
                lazy(L_ADD, sz, d, s, res);
            }
            case 1 -> {
                res = d | s;
                lazy(L_LOGIC, sz, d, s, res);
            }
            case 2 -> {
                res = d + s + cfNow();
                lazy(L_ADD, sz, d, s, res);
            }
            case 3 -> {
                res = d - s - cfNow();
                lazy(L_SUB, sz, d, s, res);
            }
            case 4 -> {
                res = d & s;
                lazy(L_LOGIC, sz, d, s, res);
            }
            case 6 -> {
                res = d ^ s;
                lazy(L_LOGIC, sz, d, s, res);
            }
            default -> {
                res = d - s;
                lazy(L_SUB, sz, d, s, res);
            }
        }
        return res & m;
    }

    private void aluEbGb(int aop) {
        int res = alu(aop, 0, readRM(0), reg8(regField()));
        if (aop != 7) {
            writeRM(0, res);
        }
    }

    private void aluEvGv(int aop) {
        int sz = 1 + o32();
        int res = alu(aop, sz, readRM(sz), r[regField()]);
        if (aop != 7) {
            writeRM(sz, res);
        }
    }

    private void aluGbEb(int aop) {
        int res = alu(aop, 0, reg8(regField()), readRM(0));
        if (aop != 7) {
            setReg8(regField(), res);
        }
    }

    private void aluGvEv(int aop) {
        int sz = 1 + o32();
        int res = alu(aop, sz, r[regField()], readRM(sz));
        if (aop != 7) {
            setReg(sz, regField(), res);
        }
    }

    private void aluAlIb(int aop) {
        int res = alu(aop, 0, r[EAX], ce[cur + 3]);
        if (aop != 7) {
            setReg8(0, res);
        }
    }

    private void aluAxIv(int aop) {
        int sz = 1 + o32();
        int res = alu(aop, sz, r[EAX], ce[cur + 3]);
        if (aop != 7) {
            setReg(sz, EAX, res);
        }
    }

    private void addEbGb() {
        int res = alu(0, 0, readRM(0), reg8(regField()));
        writeRM(0, res);
    }

    private void addEvGv() {
        int sz = 1 + o32();
        int res = alu(0, sz, readRM(sz), r[regField()]);
        writeRM(sz, res);
    }

    private void addGbEb() {
        int res = alu(0, 0, reg8(regField()), readRM(0));
        setReg8(regField(), res);
    }

    private void addGvEv() {
        int sz = 1 + o32();
        int res = alu(0, sz, r[regField()], readRM(sz));
        setReg(sz, regField(), res);
    }

    private void addAlIb() {
        int res = alu(0, 0, r[EAX], ce[cur + 3]);
        setReg8(0, res);
    }

    private void addAxIv() {
        int sz = 1 + o32();
        int res = alu(0, sz, r[EAX], ce[cur + 3]);
        setReg(sz, EAX, res);
    }

    private void orEbGb() {
        int res = alu(1, 0, readRM(0), reg8(regField()));
        writeRM(0, res);
    }

    private void orEvGv() {
        int sz = 1 + o32();
        int res = alu(1, sz, readRM(sz), r[regField()]);
        writeRM(sz, res);
    }

    private void orGbEb() {
        int res = alu(1, 0, reg8(regField()), readRM(0));
        setReg8(regField(), res);
    }

    private void orGvEv() {
        int sz = 1 + o32();
        int res = alu(1, sz, r[regField()], readRM(sz));
        setReg(sz, regField(), res);
    }

    private void orAlIb() {
        int res = alu(1, 0, r[EAX], ce[cur + 3]);
        setReg8(0, res);
    }

    private void orAxIv() {
        int sz = 1 + o32();
        int res = alu(1, sz, r[EAX], ce[cur + 3]);
        setReg(sz, EAX, res);
    }

    private void adcEbGb() {
        int res = alu(2, 0, readRM(0), reg8(regField()));
        writeRM(0, res);
    }

    private void adcEvGv() {
        int sz = 1 + o32();
        int res = alu(2, sz, readRM(sz), r[regField()]);
        writeRM(sz, res);
    }

    private void adcGbEb() {
        int res = alu(2, 0, reg8(regField()), readRM(0));
        setReg8(regField(), res);
    }

    private void adcGvEv() {
        int sz = 1 + o32();
        int res = alu(2, sz, r[regField()], readRM(sz));
        setReg(sz, regField(), res);
    }

    private void adcAlIb() {
        int res = alu(2, 0, r[EAX], ce[cur + 3]);
        setReg8(0, res);
    }

    private void adcAxIv() {
        int sz = 1 + o32();
        int res = alu(2, sz, r[EAX], ce[cur + 3]);
        setReg(sz, EAX, res);
    }

    private void sbbEbGb() {
        int res = alu(3, 0, readRM(0), reg8(regField()));
        writeRM(0, res);
    }

    private void sbbEvGv() {
        int sz = 1 + o32();
        int res = alu(3, sz, readRM(sz), r[regField()]);
        writeRM(sz, res);
    }

    private void sbbGbEb() {
        int res = alu(3, 0, reg8(regField()), readRM(0));
        setReg8(regField(), res);
    }

    private void sbbGvEv() {
        int sz = 1 + o32();
        int res = alu(3, sz, r[regField()], readRM(sz));
        setReg(sz, regField(), res);
    }

    private void sbbAlIb() {
        int res = alu(3, 0, r[EAX], ce[cur + 3]);
        setReg8(0, res);
    }

    private void sbbAxIv() {
        int sz = 1 + o32();
        int res = alu(3, sz, r[EAX], ce[cur + 3]);
        setReg(sz, EAX, res);
    }

    private void andEbGb() {
        int res = alu(4, 0, readRM(0), reg8(regField()));
        writeRM(0, res);
    }

    private void andEvGv() {
        int sz = 1 + o32();
        int res = alu(4, sz, readRM(sz), r[regField()]);
        writeRM(sz, res);
    }

    private void andGbEb() {
        int res = alu(4, 0, reg8(regField()), readRM(0));
        setReg8(regField(), res);
    }

    private void andGvEv() {
        int sz = 1 + o32();
        int res = alu(4, sz, r[regField()], readRM(sz));
        setReg(sz, regField(), res);
    }

    private void andAlIb() {
        int res = alu(4, 0, r[EAX], ce[cur + 3]);
        setReg8(0, res);
    }

    private void andAxIv() {
        int sz = 1 + o32();
        int res = alu(4, sz, r[EAX], ce[cur + 3]);
        setReg(sz, EAX, res);
    }

    private void subEbGb() {
        int res = alu(5, 0, readRM(0), reg8(regField()));
        writeRM(0, res);
    }

    private void subEvGv() {
        int sz = 1 + o32();
        int res = alu(5, sz, readRM(sz), r[regField()]);
        writeRM(sz, res);
    }

    private void subGbEb() {
        int res = alu(5, 0, reg8(regField()), readRM(0));
        setReg8(regField(), res);
    }

    private void subGvEv() {
        int sz = 1 + o32();
        int res = alu(5, sz, r[regField()], readRM(sz));
        setReg(sz, regField(), res);
    }

    private void subAlIb() {
        int res = alu(5, 0, r[EAX], ce[cur + 3]);
        setReg8(0, res);
    }

    private void subAxIv() {
        int sz = 1 + o32();
        int res = alu(5, sz, r[EAX], ce[cur + 3]);
        setReg(sz, EAX, res);
    }

    private void xorEbGb() {
        int res = alu(6, 0, readRM(0), reg8(regField()));
        writeRM(0, res);
    }

    private void xorEvGv() {
        int sz = 1 + o32();
        int res = alu(6, sz, readRM(sz), r[regField()]);
        writeRM(sz, res);
    }

    private void xorGbEb() {
        int res = alu(6, 0, reg8(regField()), readRM(0));
        setReg8(regField(), res);
    }

    private void xorGvEv() {
        int sz = 1 + o32();
        int res = alu(6, sz, r[regField()], readRM(sz));
        setReg(sz, regField(), res);
    }

    private void xorAlIb() {
        int res = alu(6, 0, r[EAX], ce[cur + 3]);
        setReg8(0, res);
    }

    private void xorAxIv() {
        int sz = 1 + o32();
        int res = alu(6, sz, r[EAX], ce[cur + 3]);
        setReg(sz, EAX, res);
    }

    private void cmpEbGb() {
        alu(7, 0, readRM(0), reg8(regField()));
    }

    private void cmpEvGv() {
        int sz = 1 + o32();
        alu(7, sz, readRM(sz), r[regField()]);
    }

    private void cmpGbEb() {
        alu(7, 0, reg8(regField()), readRM(0));
    }

    private void cmpGvEv() {
        int sz = 1 + o32();
        alu(7, sz, r[regField()], readRM(sz));
    }

    private void cmpAlIb() {
        alu(7, 0, r[EAX], ce[cur + 3]);
    }

    private void cmpAxIv() {
        int sz = 1 + o32();
        alu(7, sz, r[EAX], ce[cur + 3]);
    }

    /** INC/DEC of a general register; the 16-bit form inline. */
    private void incReg(int i, boolean dec) {
        if (o32() == 0) {
            int v = r[i] & 0xFFFF;
            flags = (flags & ~CF) | cfNow();
            int res = (dec ? v - 1 : v + 1) & 0xFFFF;
            lop = dec ? L_DEC : L_INC;
            lmsb = 15;
            ldst = v;
            lsrc = 1;
            lres = res;
            r[i] = (r[i] & 0xFFFF0000) | res;
        } else {
            r[i] = incDec(2, r[i], dec);
        }
    }

    private int incDec(int sz, int v, boolean dec) {
        int cf = cfNow();
        flags = (flags & ~CF) | cf;
        int m = mask(sz);
        v &= m;
        int res = dec ? v - 1 : v + 1;
        lazy(dec ? L_DEC : L_INC, sz, v, 1, res);
        return res & m;
    }

    // =====================================================================================
    // control transfer and interrupts
    // =====================================================================================

    private void jumpRel(int rel) {
        ip = (ip + rel) & 0xFFFF;
    }

    private void farJump(int seg, int off) {
        setSeg(CS, seg);
        ip = off & 0xFFFF;
    }

    /** Delivers interrupt {@code vec} through the IVT with return address {@code retIp}. */
    public void interrupt(int vec, int retIp) {
        push16(flagsValue());
        push16(sr[CS]);
        push16(retIp);
        flags &= ~(IF | TF | 0x40000);
        int a = (vec & 0xFF) * 4;
        int off = rd16(0, a);
        int seg = rd16(0, a + 2);
        farJump(seg, off);
    }

    private void fault(int vec) {
        faultVector = vec;
        faultCs = sr[CS];
        faultIp = startIp;
        int len = 1;
        faultBytesLen = 0;
        int n = Math.max((cinf >>> 10) & 0xF, len);
        for (int i = 0; i < Math.max(n, 1) && i < faultBytes.length; i++) {
            faultBytes[faultBytesLen++] = (byte) fb(startIp, i);
        }
        interrupt(vec, startIp);
        throw CpuSignal.UNWIND;
    }

    private void iret() {
        int nip, ncs, nfl;
        if (o32() == 1) {
            nip = pop32();
            ncs = pop32() & 0xFFFF;
            nfl = pop32();
            flags = (flags & 0x1A0000) | (nfl & 0x00257FD5) | 2;
        } else {
            nip = pop16();
            ncs = pop16();
            nfl = pop16();
            flags = (flags & 0xFFFF0000) | (nfl & 0x7FD5) | 2;
        }
        lop = L_NONE;
        farJump(ncs, nip);
    }

    private void biosTrap() {
        int vec = ce[cur + 3];
        host.bios(vec, this);
        // the stub's IRET, keeping CF and ZF as the service left them
        int keep = flagsValue() & (CF | ZF);
        int nip = pop16();
        int ncs = pop16();
        int nfl = pop16();
        flags = (flags & 0xFFFF0000) | (nfl & 0x7FD5 & ~(CF | ZF)) | keep | 2;
        farJump(ncs, nip);
    }

    // =====================================================================================
    // one-byte opcodes
    // =====================================================================================

    private void exec1(int op) {
        switch (op) {
            case 0x00 -> addEbGb();
            case 0x01 -> addEvGv();
            case 0x02 -> addGbEb();
            case 0x03 -> addGvEv();
            case 0x04 -> addAlIb();
            case 0x05 -> addAxIv();
            case 0x08 -> orEbGb();
            case 0x09 -> orEvGv();
            case 0x0A -> orGbEb();
            case 0x0B -> orGvEv();
            case 0x0C -> orAlIb();
            case 0x0D -> orAxIv();
            case 0x10 -> adcEbGb();
            case 0x11 -> adcEvGv();
            case 0x12 -> adcGbEb();
            case 0x13 -> adcGvEv();
            case 0x14 -> adcAlIb();
            case 0x15 -> adcAxIv();
            case 0x18 -> sbbEbGb();
            case 0x19 -> sbbEvGv();
            case 0x1A -> sbbGbEb();
            case 0x1B -> sbbGvEv();
            case 0x1C -> sbbAlIb();
            case 0x1D -> sbbAxIv();
            case 0x20 -> andEbGb();
            case 0x21 -> andEvGv();
            case 0x22 -> andGbEb();
            case 0x23 -> andGvEv();
            case 0x24 -> andAlIb();
            case 0x25 -> andAxIv();
            case 0x28 -> subEbGb();
            case 0x29 -> subEvGv();
            case 0x2A -> subGbEb();
            case 0x2B -> subGvEv();
            case 0x2C -> subAlIb();
            case 0x2D -> subAxIv();
            case 0x30 -> xorEbGb();
            case 0x31 -> xorEvGv();
            case 0x32 -> xorGbEb();
            case 0x33 -> xorGvEv();
            case 0x34 -> xorAlIb();
            case 0x35 -> xorAxIv();
            case 0x38 -> cmpEbGb();
            case 0x39 -> cmpEvGv();
            case 0x3A -> cmpGbEb();
            case 0x3B -> cmpGvEv();
            case 0x3C -> cmpAlIb();
            case 0x3D -> cmpAxIv();
            case 0x06 -> push(sr[ES]);
            case 0x07 -> setSeg(ES, pop());
            case 0x0E -> push(sr[CS]);
            case 0x16 -> push(sr[SS]);
            case 0x17 -> setSeg(SS, pop());
            case 0x1E -> push(sr[DS]);
            case 0x1F -> setSeg(DS, pop());
            case 0x27 -> daa();
            case 0x2F -> das();
            case 0x37 -> aaa(false);
            case 0x3F -> aaa(true);
            case 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47 -> incReg(op & 7, false);
            case 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F -> incReg(op & 7, true);
            case 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57 -> push(r[op & 7]);
            case 0x58, 0x59, 0x5A, 0x5B, 0x5C, 0x5D, 0x5E, 0x5F -> setReg(1 + o32(), op & 7, pop());
            case 0x74 -> {
                if (zfNow()) {
                    jumpRel(ce[cur + 3]);
                }
            }
            case 0x75 -> {
                if (!zfNow()) {
                    jumpRel(ce[cur + 3]);
                }
            }
            case 0x70, 0x71, 0x72, 0x73, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x7B, 0x7C, 0x7D, 0x7E, 0x7F -> {
                if (cond(op & 0xF)) {
                    jumpRel(ce[cur + 3]);
                }
            }
            case 0x80, 0x82 -> {
                int aop = regField();
                int res = alu(aop, 0, readRM(0), ce[cur + 3]);
                if (aop != 7) {
                    writeRM(0, res);
                }
            }
            case 0x81, 0x83 -> {
                int aop = regField(), sz = 1 + o32();
                int res = alu(aop, sz, readRM(sz), ce[cur + 3]);
                if (aop != 7) {
                    writeRM(sz, res);
                }
            }
            case 0x84 -> alu(4, 0, readRM(0), reg8(regField()));
            case 0x85 -> alu(4, 1 + o32(), readRM(1 + o32()), r[regField()]);
            case 0x88 -> writeRM(0, reg8(regField()));
            case 0x89 -> writeRM(1 + o32(), r[regField()]);
            case 0x8A -> setReg8(regField(), readRM(0));
            case 0x8B -> setReg(1 + o32(), regField(), readRM(1 + o32()));
            case 0x8D -> {
                if (modrm() >= 0xC0) {
                    fault(6);
                }
                setReg(1 + o32(), regField(), eaOff);
            }
            case 0x8E -> {
                int s = regField();
                if (s == CS || s > 5) {
                    fault(6);
                }
                setSeg(s, readRM(1));
            }
            case 0x90 -> {
            }
            case 0xA4, 0xA5, 0xA6, 0xA7, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF -> string(op);
            case 0xB0, 0xB1, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7 -> setReg8(op & 7, ce[cur + 3]);
            case 0xB8, 0xB9, 0xBA, 0xBB, 0xBC, 0xBD, 0xBE, 0xBF -> setReg(1 + o32(), op & 7, ce[cur + 3]);
            case 0xC3 -> ip = pop() & 0xFFFF;
            case 0xCD -> interrupt(ce[cur + 3], ip);
            case 0xE2 -> {
                if (a32() == 0) {
                    int cx = (r[ECX] - 1) & 0xFFFF;
                    r[ECX] = (r[ECX] & 0xFFFF0000) | cx;
                    if (cx != 0) {
                        ip = (ip + ce[cur + 3]) & 0xFFFF;
                    }
                } else {
                    loop(op);
                }
            }
            case 0xE8 -> {
                push(ip);
                jumpRel(ce[cur + 3]);
            }
            case 0xE9, 0xEB -> jumpRel(ce[cur + 3]);
            case 0xF6 -> group3(0);
            case 0xF7 -> group3(1 + o32());
            case 0xFE -> {
                int f = regField();
                if (f > 1) {
                    fault(6);
                }
                writeRM(0, incDec(0, readRM(0), f == 1));
            }
            case 0xFF -> group5();
            default -> execRare1(op);
        }
    }

    private void execRare1(int op) {
        switch (op) {
            case 0x60 -> pusha();
            case 0x61 -> popa();
            case 0x62 -> bound();
            case 0x68, 0x6A -> push(ce[cur + 3]);
            case 0x69, 0x6B -> {
                int sz = 1 + o32();
                setReg(sz, regField(), imul3(sz, readRM(sz), ce[cur + 3]));
            }
            case 0x6C, 0x6D, 0x6E, 0x6F -> stringIo(op);
            case 0x86 -> {
                int a = readRM(0);
                writeRM(0, reg8(regField()));
                setReg8(regField(), a);
            }
            case 0x87 -> {
                int sz = 1 + o32();
                int a = readRM(sz);
                writeRM(sz, getReg(sz, regField()));
                setReg(sz, regField(), a);
            }
            case 0x8C -> {
                if (regField() > 5) {
                    fault(6);
                }
                writeRM(modrm() >= 0xC0 ? 1 + o32() : 1, sr[regField()]);
            }
            case 0x8F -> {
                int v = pop();
                if (modrm() < 0xC0 && a32() == 1 && (modrm() & 7) == 4) {
                    ea();
                    if ((eaOff & 0xFFFF0000) != 0) {
                        fault(13);
                    }
                }
                writeRM(1 + o32(), v);
            }
            case 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97 -> {
                int sz = 1 + o32();
                int a = getReg(sz, op & 7);
                setReg(sz, op & 7, getReg(sz, EAX));
                setReg(sz, EAX, a);
            }
            case 0x98 -> {
                if (o32() == 1) {
                    r[EAX] = (short) r[EAX];
                } else {
                    setReg(1, EAX, (byte) r[EAX]);
                }
            }
            case 0x99 -> {
                if (o32() == 1) {
                    r[EDX] = r[EAX] >> 31;
                } else {
                    setReg(1, EDX, ((short) r[EAX]) >> 15);
                }
            }
            case 0x9A -> {
                push(sr[CS]);
                push(ip);
                farJump(ce[cur + 4], ce[cur + 3]);
            }
            case 0x9B -> {
            }
            case 0x9C -> {
                int f = flagsValue();
                if (o32() == 1) {
                    push32(f & 0x00FCFFFF);
                } else {
                    push16(f);
                }
            }
            case 0x9D -> {
                if (o32() == 1) {
                    setFlags((pop32() & 0x00247FD5) | (flags & 0x1A0000));
                } else {
                    setFlags((flags & 0xFFFF0000) | pop16());
                }
            }
            case 0x9E -> flags = (flagsValue() & ~(CF | PF | AF | ZF | SF)) | (reg8(4) & (CF | PF | AF | ZF | SF)) | 2;
            case 0x9F -> setReg8(4, (flagsValue() & 0xD5) | 2);
            case 0xA0, 0xA1, 0xA2, 0xA3 -> {
                int sz = (op & 1) == 0 ? 0 : 1 + o32();
                if (a32() == 1 && (ce[cur + 2] & 0xFFFF0000) != 0) {
                    fault(13);
                }
                if (op < 0xA2) {
                    setReg(sz, EAX, rd(sz, dataSeg(), ce[cur + 2]));
                } else {
                    wr(sz, dataSeg(), ce[cur + 2], r[EAX]);
                }
            }
            case 0xA8 -> alu(4, 0, r[EAX], ce[cur + 3]);
            case 0xA9 -> alu(4, 1 + o32(), r[EAX], ce[cur + 3]);
            case 0xC0 -> writeRM(0, shift(regField(), 0, readRM(0), ce[cur + 3]));
            case 0xC1 -> writeRM(1 + o32(), shift(regField(), 1 + o32(), readRM(1 + o32()), ce[cur + 3]));
            case 0xC2 -> {
                ip = pop() & 0xFFFF;
                r[ESP] = (r[ESP] & 0xFFFF0000) | ((r[ESP] + ce[cur + 3]) & 0xFFFF);
            }
            case 0xC4, 0xC5 -> loadFar(op == 0xC4 ? ES : DS);
            case 0xC6 -> writeRM(0, ce[cur + 3]);
            case 0xC7 -> writeRM(1 + o32(), ce[cur + 3]);
            case 0xC8 -> enter();
            case 0xC9 -> {
                r[ESP] = (r[ESP] & 0xFFFF0000) | (r[EBP] & 0xFFFF);
                setReg(1 + o32(), EBP, pop());
            }
            case 0xCA, 0xCB -> {
                int nip = pop();
                int ncs = pop();
                farJump(ncs, nip);
                if (op == 0xCA) {
                    r[ESP] = (r[ESP] & 0xFFFF0000) | ((r[ESP] + ce[cur + 3]) & 0xFFFF);
                }
            }
            case 0xCC -> interrupt(3, ip);
            case 0xCE -> {
                if (ofNow() != 0) {
                    interrupt(4, ip);
                }
            }
            case 0xCF -> iret();
            case 0xD0 -> writeRM(0, shift(regField(), 0, readRM(0), 1));
            case 0xD1 -> writeRM(1 + o32(), shift(regField(), 1 + o32(), readRM(1 + o32()), 1));
            case 0xD2 -> writeRM(0, shift(regField(), 0, readRM(0), r[ECX] & 0xFF));
            case 0xD3 -> writeRM(1 + o32(), shift(regField(), 1 + o32(), readRM(1 + o32()), r[ECX] & 0xFF));
            case 0xD4 -> aam();
            case 0xD5 -> {
                int al = (reg8(0) + reg8(4) * ce[cur + 3]) & 0xFF;
                setReg(1, EAX, al);
                lazy(L_LOGIC, 0, al, 0, al);
            }
            case 0xD6 -> setReg8(0, cfNow() != 0 ? 0xFF : 0);
            case 0xD7 -> {
                int off = a32() == 1 ? r[EBX] + reg8(0) : (r[EBX] + reg8(0)) & 0xFFFF;
                setReg8(0, rd8(dataSeg(), off));
            }
            case 0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF -> {
                // no FPU: escape opcodes do nothing
            }
            case 0xE0, 0xE1 -> loop(op);
            case 0xE3 -> {
                if ((a32() == 1 ? r[ECX] : r[ECX] & 0xFFFF) == 0) {
                    jumpRel(ce[cur + 3]);
                }
            }
            case 0xE4 -> setReg8(0, host.in(ce[cur + 3], 1));
            case 0xE5 -> setReg(1 + o32(), EAX, host.in(ce[cur + 3], 2 + 2 * o32()));
            case 0xE6 -> host.out(ce[cur + 3], 1, r[EAX] & 0xFF);
            case 0xE7 -> host.out(ce[cur + 3], 2 + 2 * o32(), getReg(1 + o32(), EAX));
            case 0xEA -> farJump(ce[cur + 4], ce[cur + 3]);
            case 0xEC -> setReg8(0, host.in(r[EDX] & 0xFFFF, 1));
            case 0xED -> setReg(1 + o32(), EAX, host.in(r[EDX] & 0xFFFF, 2 + 2 * o32()));
            case 0xEE -> host.out(r[EDX] & 0xFFFF, 1, r[EAX] & 0xFF);
            case 0xEF -> host.out(r[EDX] & 0xFFFF, 2 + 2 * o32(), getReg(1 + o32(), EAX));
            case 0xF4 -> hlt();
            case 0xF5 -> flags = flagsValue() ^ CF;
            case 0xF8 -> flags = flagsValue() & ~CF;
            case 0xF9 -> flags = flagsValue() | CF;
            case 0xFA -> flags &= ~IF;
            case 0xFB -> flags |= IF;
            case 0xFC -> flags &= ~DF;
            case 0xFD -> flags |= DF;
            default -> fault(6);
        }
    }

    private void hlt() {
        if ((flags & IF) == 0) {
            stop(StopReason.HALTED, "HLT with interrupts disabled at " + hex4(sr[CS]) + ":" + hex4(startIp));
        }
        stop(StopReason.HALTED, "HLT with interrupts enabled at " + hex4(sr[CS]) + ":" + hex4(startIp)
                + " and no interrupt source (waits forever)");
    }

    static String hex4(int v) {
        return String.format("%04X", v & 0xFFFF);
    }

    private void group5() {
        int f = regField(), sz = 1 + o32();
        switch (f) {
            case 0, 1 -> writeRM(sz, incDec(sz, readRM(sz), f == 1));
            case 2 -> {
                int t = readRM(sz);
                push(ip);
                ip = t & 0xFFFF;
            }
            case 3, 5 -> {
                if (modrm() >= 0xC0) {
                    fault(6);
                }
                int off = rd(sz, eaBase, eaOff);
                int seg = rd16(eaBase, (eaOff + 2 + 2 * o32()) & 0xFFFF);
                if (f == 3) {
                    push(sr[CS]);
                    push(ip);
                }
                farJump(seg, off);
            }
            case 4 -> ip = readRM(sz) & 0xFFFF;
            case 6 -> push(readRM(sz));
            default -> fault(6);
        }
    }

    private void loadFar(int seg) {
        if (modrm() >= 0xC0) {
            fault(6);
        }
        int sz = 1 + o32();
        int off = rd(sz, eaBase, eaOff);
        int s = rd16(eaBase, (eaOff + 2 + 2 * o32()) & 0xFFFF);
        setReg(sz, regField(), off);
        setSeg(seg, s);
    }

    private void loop(int op) {
        int cx;
        if (a32() == 1) {
            cx = --r[ECX];
        } else {
            cx = (r[ECX] - 1) & 0xFFFF;
            r[ECX] = (r[ECX] & 0xFFFF0000) | cx;
        }
        boolean take = cx != 0 && (op == 0xE2 || (op == 0xE1) == zfNow());
        if (take) {
            jumpRel(ce[cur + 3]);
        }
    }

    private void pusha() {
        int sp = r[ESP];
        for (int i = 0; i < 8; i++) {
            push(i == ESP ? sp : r[i]);
        }
    }

    private void popa() {
        for (int i = 7; i >= 0; i--) {
            int v = pop();
            if (i != ESP) {
                setReg(1 + o32(), i, v);
            }
        }
    }

    private void bound() {
        if (modrm() >= 0xC0) {
            fault(6);
        }
        int sz = 1 + o32();
        int idx = getReg(sz, regField());
        int lo = rd(sz, eaBase, eaOff), hi = rd(sz, eaBase, (eaOff + 2 + 2 * o32()) & 0xFFFF);
        if (sz == 1) {
            idx = (short) idx;
            lo = (short) lo;
            hi = (short) hi;
        }
        if (idx < lo || idx > hi) {
            fault(5);
        }
    }

    private void enter() {
        int size = ce[cur + 3], level = ce[cur + 4] & 31;
        push(r[EBP]);
        int frame = r[ESP] & 0xFFFF;
        if (level > 0) {
            int bp = r[EBP] & 0xFFFF;
            int w = 2 + 2 * o32();
            for (int i = 1; i < level; i++) {
                bp = (bp - w) & 0xFFFF;
                push(o32() == 1 ? rd32(sb[SS], bp) : rd16(sb[SS], bp));
            }
            push(frame);
        }
        setReg(1 + o32(), EBP, frame);
        r[ESP] = (r[ESP] & 0xFFFF0000) | ((r[ESP] - size) & 0xFFFF);
    }

    // =====================================================================================
    // shifts, multiply, divide, BCD
    // =====================================================================================

    private int shift(int kind, int sz, int v, int count) {
        count &= 31;
        int m = mask(sz), bits = msb(sz) + 1, msb = msb(sz);
        v &= m;
        if (count == 0) {
            return v;
        }
        int res;
        switch (kind) {
            case 0, 1 -> { // ROL, ROR
                int n = count % bits;
                if (kind == 0) {
                    res = n == 0 ? v : ((v << n) | (v >>> (bits - n))) & m;
                    int cf = res & 1;
                    flags = (flagsValue() & ~(CF | OF)) | cf | ((((res >>> msb) & 1) ^ cf) << 11);
                } else {
                    res = n == 0 ? v : ((v >>> n) | (v << (bits - n))) & m;
                    int cf = (res >>> msb) & 1;
                    int of = cf ^ ((res >>> (msb - 1)) & 1);
                    flags = (flagsValue() & ~(CF | OF)) | cf | (of << 11);
                }
                return res;
            }
            case 2, 3 -> { // RCL, RCR
                int n = count % (bits + 1);
                int f = flagsValue();
                long wide = ((long) (f & CF) << bits) | (v & 0xFFFFFFFFL);
                long wm = (1L << (bits + 1)) - 1;
                if (n != 0) {
                    if (kind == 2) {
                        wide = ((wide << n) | (wide >>> (bits + 1 - n))) & wm;
                    } else {
                        wide = ((wide >>> n) | (wide << (bits + 1 - n))) & wm;
                    }
                }
                res = (int) wide & m;
                int cf = (int) (wide >>> bits) & 1;
                int of = kind == 2 ? ((res >>> msb) & 1) ^ cf : ((res >>> msb) ^ (res >>> (msb - 1))) & 1;
                flags = (f & ~(CF | OF)) | cf | (of << 11);
                return res;
            }
            case 4, 6 -> { // SHL/SAL
                long wide = (v & 0xFFFFFFFFL) << count;
                res = (int) wide & m;
                int cf = (int) (wide >>> bits) & 1;
                int of = ((res >>> msb) & 1) ^ cf;
                setSZP(sz, res, cf | (of << 11));
                return res;
            }
            case 5 -> { // SHR
                res = count >= 32 ? 0 : v >>> count;
                int cf = (v >>> (count - 1)) & 1;
                int of = (v >>> msb) & 1;
                setSZP(sz, res, cf | (of << 11));
                return res;
            }
            default -> { // SAR
                int sx = (v << (31 - msb)) >> (31 - msb);
                res = (sx >> Math.min(count, 31)) & m;
                int cf = (sx >> Math.min(count - 1, 31)) & 1;
                setSZP(sz, res, cf);
                return res;
            }
        }
    }

    private int shiftDouble(boolean left, int sz, int dst, int src, int count) {
        count &= 31;
        int m = mask(sz), bits = msb(sz) + 1, msb = msb(sz);
        dst &= m;
        src &= m;
        if (count == 0) {
            return dst;
        }
        int res, cf;
        if (left) {
            long wide = ((dst & 0xFFFFFFFFL) << bits) | (src & 0xFFFFFFFFL);
            if (bits == 16) {
                wide = (wide << 16) | (dst & 0xFFFFL); // 16-bit counts above 16 rotate through dst again
            }
            long shifted = wide << count;
            int total = bits == 16 ? 48 : 64;
            res = (int) (shifted >>> (total - bits)) & m;
            cf = (int) (wide >>> (total - count)) & 1;
        } else {
            long wide = ((src & 0xFFFFFFFFL) << bits) | (dst & 0xFFFFFFFFL);
            res = (int) (wide >>> count) & m;
            cf = (int) (wide >>> (count - 1)) & 1;
        }
        int of = (((res ^ dst) >>> msb) & 1);
        setSZP(sz, res, cf | (of << 11));
        return res;
    }

    private int imul3(int sz, int a, int b) {
        long p;
        int res;
        boolean overflow;
        if (sz == 1) {
            p = (long) (short) a * (short) b;
            res = (int) p & 0xFFFF;
            overflow = p != (short) p;
        } else {
            p = (long) a * (long) b;
            res = (int) p;
            overflow = p != (int) p;
        }
        setSZP(sz, res, overflow ? CF | OF : 0);
        return res;
    }

    private void group3(int sz) {
        int f = regField();
        switch (f) {
            case 0, 1 -> alu(4, sz, readRM(sz), ce[cur + 3]);
            case 2 -> writeRM(sz, ~readRM(sz));
            case 3 -> writeRM(sz, alu(5, sz, 0, readRM(sz)));
            case 4 -> mul(sz, readRM(sz));
            case 5 -> imul1(sz, readRM(sz));
            case 6 -> div(sz, readRM(sz));
            default -> idiv(sz, readRM(sz));
        }
    }

    private void mul(int sz, int s) {
        switch (sz) {
            case 0 -> {
                int p = (r[EAX] & 0xFF) * (s & 0xFF);
                setReg(1, EAX, p);
                setSZP(0, p, (p >>> 8) != 0 ? CF | OF : 0);
            }
            case 1 -> {
                int p = (r[EAX] & 0xFFFF) * (s & 0xFFFF);
                setReg(1, EAX, p);
                setReg(1, EDX, p >>> 16);
                setSZP(1, p, (p >>> 16) != 0 ? CF | OF : 0);
            }
            default -> {
                long p = (r[EAX] & 0xFFFFFFFFL) * (s & 0xFFFFFFFFL);
                r[EAX] = (int) p;
                r[EDX] = (int) (p >>> 32);
                setSZP(2, (int) p, r[EDX] != 0 ? CF | OF : 0);
            }
        }
    }

    private void imul1(int sz, int s) {
        switch (sz) {
            case 0 -> {
                int p = (byte) r[EAX] * (byte) s;
                setReg(1, EAX, p);
                setSZP(0, p, p != (byte) p ? CF | OF : 0);
            }
            case 1 -> {
                int p = (short) r[EAX] * (short) s;
                setReg(1, EAX, p);
                setReg(1, EDX, p >>> 16);
                setSZP(1, p, p != (short) p ? CF | OF : 0);
            }
            default -> {
                long p = (long) r[EAX] * (long) s;
                r[EAX] = (int) p;
                r[EDX] = (int) (p >>> 32);
                setSZP(2, (int) p, p != (int) p ? CF | OF : 0);
            }
        }
    }

    private void div(int sz, int s) {
        switch (sz) {
            case 0 -> {
                int d = s & 0xFF, n = r[EAX] & 0xFFFF;
                if (d == 0 || n / d > 0xFF) {
                    fault(0);
                }
                setReg(1, EAX, (n / d) | (n % d) << 8);
            }
            case 1 -> {
                int d = s & 0xFFFF;
                long n = ((r[EDX] & 0xFFFFL) << 16) | (r[EAX] & 0xFFFF);
                if (d == 0 || n / d > 0xFFFF) {
                    fault(0);
                }
                setReg(1, EAX, (int) (n / d));
                setReg(1, EDX, (int) (n % d));
            }
            default -> {
                long d = s & 0xFFFFFFFFL;
                long hi = r[EDX] & 0xFFFFFFFFL, lo = r[EAX] & 0xFFFFFFFFL;
                if (d == 0 || hi >= d) {
                    fault(0);
                }
                long n = (hi << 32) | lo; // may be negative as signed: use unsigned ops
                r[EAX] = (int) Long.divideUnsigned(n, d);
                r[EDX] = (int) Long.remainderUnsigned(n, d);
            }
        }
    }

    private void idiv(int sz, int s) {
        switch (sz) {
            case 0 -> {
                int d = (byte) s, n = (short) r[EAX];
                if (d == 0) {
                    fault(0);
                }
                int q = n / d;
                if (q > 127 || q < -128) {
                    fault(0);
                }
                setReg(1, EAX, (q & 0xFF) | ((n % d) & 0xFF) << 8);
            }
            case 1 -> {
                int d = (short) s, n = (r[EDX] << 16) | (r[EAX] & 0xFFFF);
                if (d == 0) {
                    fault(0);
                }
                long q = (long) n / d;
                if (q > 32767 || q < -32768) {
                    fault(0);
                }
                setReg(1, EAX, (int) q);
                setReg(1, EDX, (int) ((long) n % d));
            }
            default -> {
                long d = s, n = ((long) r[EDX] << 32) | (r[EAX] & 0xFFFFFFFFL);
                if (d == 0 || (n == Long.MIN_VALUE && d == -1)) {
                    fault(0);
                }
                long q = n / d;
                if (q != (int) q) {
                    fault(0);
                }
                r[EAX] = (int) q;
                r[EDX] = (int) (n % d);
            }
        }
    }

    private void aam() {
        int base = ce[cur + 3];
        if (base == 0) {
            fault(0);
        }
        int al = reg8(0);
        int nal = al % base;
        setReg(1, EAX, nal | (al / base) << 8);
        lazy(L_LOGIC, 0, nal, 0, nal);
    }

    private void daa() {
        int f = flagsValue();
        int al = reg8(0), oldAl = al;
        boolean oldCf = (f & CF) != 0;
        int nf = f & ~(CF | AF);
        if ((al & 0xF) > 9 || (f & AF) != 0) {
            al += 6;
            nf |= AF;
        }
        if (oldAl > 0x99 || oldCf) {
            al += 0x60;
            nf |= CF;
        }
        al &= 0xFF;
        setReg8(0, al);
        flags = nf;
        setSZP(0, al, nf & (CF | AF));
    }

    private void das() {
        int f = flagsValue();
        int al = reg8(0), oldAl = al;
        boolean oldCf = (f & CF) != 0;
        int nf = f & ~(CF | AF);
        if ((al & 0xF) > 9 || (f & AF) != 0) {
            al -= 6;
            nf |= AF;
        }
        if (oldAl > 0x99 || oldCf) {
            al -= 0x60;
            nf |= CF;
        }
        al &= 0xFF;
        setReg8(0, al);
        flags = nf;
        setSZP(0, al, nf & (CF | AF));
    }

    private void aaa(boolean sub) {
        int f = flagsValue();
        int al = reg8(0);
        if ((al & 0xF) > 9 || (f & AF) != 0) {
            int ax = r[EAX] & 0xFFFF;
            ax = sub ? ax - 6 : ax + 0x106;
            if (sub) {
                ax = (ax & 0xFF) | ((((ax >>> 8) - 1) & 0xFF) << 8);
            }
            setReg(1, EAX, ax);
            f |= AF | CF;
        } else {
            f &= ~(AF | CF);
        }
        setReg8(0, reg8(0) & 0xF);
        flags = f;
        setSZP(0, reg8(0), f & (AF | CF));
    }

    // =====================================================================================
    // string instructions
    // =====================================================================================

    private void string(int op) {
        int sz = (op & 1) == 0 ? 0 : 1 + o32();
        int step = (1 << sz) * ((flags & DF) != 0 ? -1 : 1);
        int amask = a32() == 1 ? 0xFFFFFFFF : 0xFFFF;
        int srcBase = dataSeg(), dstBase = sb[ES];
        boolean cmp = op == 0xA6 || op == 0xA7 || op == 0xAE || op == 0xAF;
        if (rep() == 0) {
            stringOnce(op, sz, step, amask, srcBase, dstBase);
            return;
        }
        while (true) {
            int cx = r[ECX] & amask;
            if (cx == 0) {
                return;
            }
            stringOnce(op, sz, step, amask, srcBase, dstBase);
            cx = (cx - 1) & amask;
            r[ECX] = (r[ECX] & ~amask) | cx;
            if (cmp && (zfNow() != (rep() == 1))) {
                return;
            }
            if (cx == 0) {
                return;
            }
            if (++icount >= limit) {
                ip = startIp; // resume the rest on the next run
                return;
            }
        }
    }

    private void stringOnce(int op, int sz, int step, int amask, int srcBase, int dstBase) {
        int si = r[ESI] & amask, di = r[EDI] & amask;
        switch (op) {
            case 0xA4, 0xA5 -> {
                wr(sz, dstBase, di, rd(sz, srcBase, si));
                advance(ESI, step, amask);
                advance(EDI, step, amask);
            }
            case 0xA6, 0xA7 -> {
                alu(7, sz, rd(sz, srcBase, si), rd(sz, dstBase, di));
                advance(ESI, step, amask);
                advance(EDI, step, amask);
            }
            case 0xAA, 0xAB -> {
                wr(sz, dstBase, di, r[EAX]);
                advance(EDI, step, amask);
            }
            case 0xAC, 0xAD -> {
                setReg(sz, EAX, rd(sz, srcBase, si));
                advance(ESI, step, amask);
            }
            default -> {
                alu(7, sz, r[EAX], rd(sz, dstBase, di));
                advance(EDI, step, amask);
            }
        }
    }

    private void advance(int reg, int step, int amask) {
        r[reg] = (r[reg] & ~amask) | ((r[reg] + step) & amask);
    }

    private void stringIo(int op) {
        int sz = (op & 1) == 0 ? 0 : 1 + o32();
        int step = (1 << sz) * ((flags & DF) != 0 ? -1 : 1);
        int amask = a32() == 1 ? 0xFFFFFFFF : 0xFFFF;
        int port = r[EDX] & 0xFFFF;
        do {
            if (rep() != 0) {
                if ((r[ECX] & amask) == 0) {
                    return;
                }
                r[ECX] = (r[ECX] & ~amask) | ((r[ECX] - 1) & amask);
            }
            if (op < 0x6E) {
                wr(sz, sb[ES], r[EDI] & amask, host.in(port, 1 << sz));
                advance(EDI, step, amask);
            } else {
                host.out(port, 1 << sz, rd(sz, dataSeg(), r[ESI] & amask));
                advance(ESI, step, amask);
            }
        } while (rep() != 0 && ++icount < limit);
        if (rep() != 0 && (r[ECX] & amask) != 0) {
            ip = startIp;
        }
    }

    // =====================================================================================
    // two-byte opcodes
    // =====================================================================================

    private void exec2(int op) {
        if (op == OP_BIOS) {
            biosTrap();
            return;
        }
        if (op == OP_INVALID) {
            fault(6);
            return;
        }
        int b = op & 0xFF;
        int sz = 1 + o32();
        switch (b) {
            case 0x00 -> fault(6);
            case 0x01 -> group7();
            case 0x06, 0x08, 0x09 -> {
            }
            case 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F -> {
            }
            case 0x20 -> r[modrm() & 7] = switch (regField()) {
                case 0 -> cr0;
                case 2 -> cr2;
                case 3 -> cr3;
                case 4 -> cr4;
                default -> {
                    fault(6);
                    yield 0;
                }
            };
            case 0x22 -> movToCr(regField(), r[modrm() & 7]);
            case 0x21 -> r[modrm() & 7] = 0;
            case 0x23 -> {
            }
            case 0x30 -> {
            }
            case 0x31 -> {
                long tsc = icount * 3;
                r[EAX] = (int) tsc;
                r[EDX] = (int) (tsc >>> 32);
            }
            case 0x32 -> {
                r[EAX] = 0;
                r[EDX] = 0;
            }
            case 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F -> {
                int v = readRM(sz);
                if (cond(b & 0xF)) {
                    setReg(sz, regField(), v);
                }
            }
            case 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8B, 0x8C, 0x8D, 0x8E, 0x8F -> {
                if (cond(b & 0xF)) {
                    jumpRel(ce[cur + 3]);
                }
            }
            case 0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F ->
                    writeRM(0, cond(b & 0xF) ? 1 : 0);
            case 0xA0 -> push(sr[FS]);
            case 0xA1 -> setSeg(FS, pop());
            case 0xA2 -> cpuid();
            case 0xA8 -> push(sr[GS]);
            case 0xA9 -> setSeg(GS, pop());
            case 0xA3, 0xAB, 0xB3, 0xBB -> bitOp((b >>> 3) & 3, sz, getReg(sz, regField()), true);
            case 0xBA -> {
                if (regField() < 4) {
                    fault(6);
                }
                bitOp(regField() & 3, sz, ce[cur + 3], false);
            }
            case 0xA4 -> writeRM(sz, shiftDouble(true, sz, readRM(sz), getReg(sz, regField()), ce[cur + 3]));
            case 0xA5 -> writeRM(sz, shiftDouble(true, sz, readRM(sz), getReg(sz, regField()), r[ECX]));
            case 0xAC -> writeRM(sz, shiftDouble(false, sz, readRM(sz), getReg(sz, regField()), ce[cur + 3]));
            case 0xAD -> writeRM(sz, shiftDouble(false, sz, readRM(sz), getReg(sz, regField()), r[ECX]));
            case 0xAF -> setReg(sz, regField(), imul3(sz, getReg(sz, regField()), readRM(sz)));
            case 0xB0, 0xB1 -> {
                int s = b == 0xB0 ? 0 : sz;
                int d = readRM(s);
                alu(7, s, r[EAX], d);
                if (zfNow()) {
                    writeRM(s, getReg(s, regField()));
                } else {
                    writeRM(s, d);
                    setReg(s, EAX, d);
                }
            }
            case 0xB2, 0xB4, 0xB5 -> loadFar(b == 0xB2 ? SS : b == 0xB4 ? FS : GS);
            case 0xB6 -> setReg(sz, regField(), readRM(0));
            case 0xB7 -> setReg(sz, regField(), readRM(1));
            case 0xBE -> setReg(sz, regField(), (byte) readRM(0));
            case 0xBF -> setReg(sz, regField(), (short) readRM(1));
            case 0xBC, 0xBD -> {
                int v = readRM(sz);
                int f = flagsValue();
                if (v == 0) {
                    flags = f | ZF;
                } else {
                    flags = f & ~ZF;
                    setReg(sz, regField(), b == 0xBC ? Integer.numberOfTrailingZeros(v) : 31 - Integer.numberOfLeadingZeros(v));
                }
            }
            case 0xC0, 0xC1 -> {
                int s = b == 0xC0 ? 0 : sz;
                int d = readRM(s), src = getReg(s, regField());
                int res = alu(0, s, d, src);
                setReg(s, regField(), d);
                writeRM(s, res);
            }
            case 0xC8, 0xC9, 0xCA, 0xCB, 0xCC, 0xCD, 0xCE, 0xCF -> r[b & 7] = Integer.reverseBytes(r[b & 7]);
            default -> fault(6);
        }
    }

    private void bitOp(int kind, int sz, int bitOffset, boolean fromReg) {
        int bits = sz == 1 ? 16 : 32;
        int bit;
        int v;
        int base = eaBase, off = eaOff;
        if (modrm() >= 0xC0) {
            bit = bitOffset & (bits - 1);
            v = getReg(sz, modrm() & 7);
        } else {
            if (fromReg) {
                int signed = sz == 1 ? (short) bitOffset : bitOffset;
                int words = signed >> (sz == 1 ? 4 : 5);
                off = (off + words * (bits / 8)) & (a32() == 1 ? 0xFFFFFFFF : 0xFFFF);
            }
            bit = bitOffset & (bits - 1);
            v = rd(sz, base, off);
        }
        int cf = (v >>> bit) & 1;
        flags = (flagsValue() & ~CF) | cf;
        if (kind == 0) {
            return;
        }
        int nv = switch (kind) {
            case 1 -> v | (1 << bit);
            case 2 -> v & ~(1 << bit);
            default -> v ^ (1 << bit);
        };
        if (modrm() >= 0xC0) {
            setReg(sz, modrm() & 7, nv);
        } else {
            wr(sz, base, off, nv);
        }
    }

    private void group7() {
        int f = regField();
        switch (f) {
            case 0, 1 -> {
                if (modrm() >= 0xC0) {
                    fault(6);
                }
                wr16(eaBase, eaOff, f == 0 ? gdtLimit : idtLimit);
                wr32(eaBase, (eaOff + 2) & 0xFFFF, f == 0 ? gdtBase : idtBase);
            }
            case 2, 3 -> {
                if (modrm() >= 0xC0) {
                    fault(6);
                }
                int lim = rd16(eaBase, eaOff);
                int base = rd32(eaBase, (eaOff + 2) & 0xFFFF);
                if (o32() == 0) {
                    base &= 0xFFFFFF;
                }
                if (f == 2) {
                    gdtLimit = lim;
                    gdtBase = base;
                } else {
                    idtLimit = lim;
                    idtBase = base;
                }
            }
            case 4 -> writeRM(1, cr0);
            case 6 -> movToCr(0, (cr0 & ~0xF) | (readRM(1) & 0xF) | (cr0 & 1));
            case 7 -> {
            }
            default -> fault(6);
        }
    }

    private void movToCr(int n, int v) {
        switch (n) {
            case 0 -> {
                cr0 = v;
                if ((v & 1) != 0) {
                    stop(StopReason.PROTECTED_MODE, "CR0.PE set at " + hex4(sr[CS]) + ":" + hex4(startIp)
                            + String.format(" (CR0=%08X, GDT base %08X limit %04X)", v, gdtBase, gdtLimit));
                }
            }
            case 2 -> cr2 = v;
            case 3 -> cr3 = v;
            case 4 -> cr4 = v;
            default -> fault(6);
        }
    }

    private void cpuid() {
        int leaf = r[EAX];
        int a = 0, b = 0, c = 0, d = 0;
        switch (leaf) {
            case 0 -> {
                a = 1;
                b = 0x756E6547; // "Genu"
                d = 0x49656E69; // "ineI"
                c = 0x6C65746E; // "ntel"
            }
            case 1 -> {
                a = 0x00000633;
                // FPU TSC MSR PAE CX8 PGE CMOV FXSR SSE SSE2 PSE
                d = 1 | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 8) | (1 << 13) | (1 << 15) | (1 << 24)
                        | (1 << 25) | (1 << 26);
            }
            case 0x80000000 -> a = 0x80000001;
            case 0x80000001 -> d = (1 << 29) | (1 << 20); // LM, NX
            default -> { }
        }
        r[EAX] = a;
        r[EBX] = b;
        r[ECX] = c;
        r[EDX] = d;
    }
}
