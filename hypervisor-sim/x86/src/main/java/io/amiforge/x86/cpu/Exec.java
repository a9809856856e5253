package io.amiforge.x86.cpu;

import static io.amiforge.x86.cpu.Cpu.CS;
import static io.amiforge.x86.cpu.Cpu.DS;
import static io.amiforge.x86.cpu.Cpu.EBP;
import static io.amiforge.x86.cpu.Cpu.EBX;
import static io.amiforge.x86.cpu.Cpu.EDI;
import static io.amiforge.x86.cpu.Cpu.ESI;
import static io.amiforge.x86.cpu.Cpu.ESP;
import static io.amiforge.x86.cpu.Cpu.SS;

/**
 * The instruction being executed and everything its handler reaches: the architectural state
 * (inherited from {@link CpuState}), guest memory for {@link Bus}, the host, and the current
 * decode-cache entry with its prefixes, ModR/M byte, displacement, immediates and effective
 * address. Every instruction group ({@link Alu}, {@link Control}, ...) is a final class of
 * static methods taking an {@code Exec}, so the interpreter's dispatch is a plain
 * {@code switch} over static calls the JIT can inline, and nothing is allocated per instruction.
 *
 * <p>State, memory and instruction are one object on purpose: handlers then reach registers,
 * lazy flags and RAM with one load from the {@code Exec} they are given. Holding the state and
 * the memory in separate objects cost about 10% of the interpreter's speed.
 *
 * <p>Also the one place that raises a fault ({@link #fault}) or stops the run ({@link #stop}):
 * both unwind with a pre-allocated {@link CpuSignal}.
 */
final class Exec extends CpuState {

    /**
     * Guest RAM, its chunk marks and the A20 mask as {@link Bus}'s fast paths and the fetch use
     * them; with paging the mask is all ones (it applies to physical addresses, which the slow
     * paths mask with {@link Memory#a20Mask}).
     */
    final Memory mem;
    final byte[] ram, mark;
    /** Size of {@link Memory#flat}, the part of physical memory that {@link #ram} holds. */
    final int flat;
    /** {@link #fastEnd} without paging: the first address whose dword would not lie wholly in {@link #ram}'s flat part. */
    final int flatEnd;
    int a20;
    final int[] ce;
    final CpuHost host;
    /** The paging unit's TLB and walker ({@link Bus} uses it while {@link #pg} is set). */
    final Paging paging = new Paging();
    /** First linear address {@link Bus} does not take from the RAM array directly: all of them (0) with paging. */
    int fastEnd;
    /** How many fault deliveries are under way: a fault raised while delivering one becomes #DF, one in #DF a triple fault. */
    int delivering;
    final Cpu cpu;

    /** Index of the current entry in {@link #ce}, its info word, and the IP it started at. */
    int cur, cinf, startIp;
    /** Effective address of the memory operand: segment base and offset, the segment's limit and number. */
    int eaBase, eaOff, eaLim, eaSeg;
    /**
     * Instruction count at which the loop leaves {@link #step}s (REP loops check it too): the
     * earlier of the run's end ({@link #runLimit}) and the next machine event ({@link #eventAt}).
     */
    long limit;
    /** Instruction count at which the current run ends. */
    long runLimit;
    /** Whether CR0.PE enters protected mode (else it stops the run). */
    boolean protectedMode;
    /** HLT with IF set: waiting for an interrupt; where the HLT was. */
    boolean halted;
    /** A BIOS service's request to continue in another vector's handler instead of returning (-1: none). */
    int chainVector = -1;
    int haltCs, haltIp;
    /** Instruction count at which the timers and interrupt lines are next looked at (0: at once). */
    long eventAt;

    StopReason stopReason;
    String stopDetail;
    int faultCs = -1, faultIp, faultVector = -1;
    /** The error code of the fault raised last (-1: none; #PF: present/write/user/reserved bits). */
    int faultErrorCode = -1;
    final byte[] faultBytes = new byte[16];
    int faultBytesLen;

    Exec(Memory mem, DecodeCache dc, CpuHost host, Cpu cpu) {
        this.mem = mem;
        this.ram = mem.ram;
        this.mark = mem.mark;
        this.flat = mem.flat;
        this.flatEnd = mem.flat - 3;
        this.fastEnd = flatEnd;
        this.a20 = mem.a20Mask;
        this.ce = dc.e;
        this.host = host;
        this.cpu = cpu;
    }

    // ---- the decoded instruction (layout in Decoder#decode) ----

    int o32() {
        return (cinf >>> 14) & 1;
    }

    int a32() {
        return (cinf >>> 15) & 1;
    }

    /** Segment override: 0 none, else segment register + 1. */
    int segOv() {
        return (cinf >>> 16) & 7;
    }

    /** 0 none, 1 REP/REPE, 2 REPNE. */
    int rep() {
        return (cinf >>> 19) & 3;
    }

    int modrm() {
        return (cinf >>> 22) & 0xFF;
    }

    int regField() {
        return (modrm() >>> 3) & 7;
    }

    int length() {
        return (cinf >>> 10) & 0xF;
    }

    int disp() {
        return ce[cur + DecodeCache.DISP];
    }

    int imm() {
        return ce[cur + DecodeCache.IMM];
    }

    int imm2() {
        return ce[cur + DecodeCache.IMM2];
    }

    // ---- operands ----

    /** Computes the ModR/M memory operand's address into {@link #eaBase}/{@link #eaOff}. */
    void ea() {
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
            off = (off + disp()) & 0xFFFF;
        } else {
            if (rm == 4) {
                int sib = imm2(), base = sib & 7, idx = (sib >>> 3) & 7;
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
            off += disp();
        }
        if (segOv() != 0) {
            seg = segOv() - 1;
        }
        eaBase = sb[seg];
        eaOff = off;
        eaLim = slim[seg];
        eaSeg = seg;
    }

    /** Offset {@code k} bytes past the memory operand's (wrapping at 64 KiB for 16-bit real-mode addressing). */
    int eaNext(int k) {
        return pe || a32() == 1 ? eaOff + k : (eaOff + k) & 0xFFFF;
    }

    /** Loads segment register {@code i} as the current mode does ({@link Segments#load}). */
    void loadSeg(int i, int selector) {
        Segments.load(this, i, selector);
    }

    /** Base of the data segment: DS unless overridden. */
    int dataSeg() {
        return segOv() != 0 ? sb[segOv() - 1] : sb[DS];
    }

    int readRM(int sz) {
        return modrm() >= 0xC0 ? getReg(sz, modrm() & 7) : Bus.rd(this, sz, eaBase, eaOff);
    }

    void writeRM(int sz, int v) {
        if (modrm() >= 0xC0) {
            setReg(sz, modrm() & 7, v);
        } else {
            Bus.wr(this, sz, eaBase, eaOff, v);
        }
    }

    // ---- stack (SS:SP, or SS:ESP when SS.B is set: spMask) ----

    void push16(int v) {
        int sp = (r[ESP] - 2) & spMask;
        Bus.wr16(this, sb[SS], sp, v);
        r[ESP] = (r[ESP] & ~spMask) | sp;
    }

    void push32(int v) {
        int sp = (r[ESP] - 4) & spMask;
        Bus.wr32(this, sb[SS], sp, v);
        r[ESP] = (r[ESP] & ~spMask) | sp;
    }

    /** Adds {@code delta} to the stack pointer, in its width. */
    void addSp(int delta) {
        r[ESP] = (r[ESP] & ~spMask) | ((r[ESP] + delta) & spMask);
    }

    /** Pushes a word or, with the 0x66 prefix, a dword. */
    void push(int v) {
        if (o32() == 0) {
            push16(v);
        } else {
            push32(v);
        }
    }

    int pop16() {
        int sp = r[ESP] & spMask;
        int v = Bus.rd16(this, sb[SS], sp);
        r[ESP] = (r[ESP] & ~spMask) | ((sp + 2) & spMask);
        return v;
    }

    int pop32() {
        int sp = r[ESP] & spMask;
        int v = Bus.rd32(this, sb[SS], sp);
        r[ESP] = (r[ESP] & ~spMask) | ((sp + 4) & spMask);
        return v;
    }

    int pop() {
        return o32() == 0 ? pop16() : pop32();
    }

    // ---- hardware interrupts ----

    /** Looks at the machine's timers and interrupt lines after the next instruction (IF was set, a port written). */
    void eventSoon() {
        long at = icount + 1;
        if (at < eventAt) {
            eventAt = at;
        }
        if (at < limit) {
            limit = at;
        }
    }

    /**
     * At {@link #eventAt}: brings the machine's timers up to now and, with IF set, delivers the
     * interrupt its controller hands over (through the IVT, returning to the next instruction).
     */
    void events() {
        if (halted) {
            SystemOps.waitForInterrupt(this);
            return;
        }
        long next = host.advanceTo(icount);
        if ((flags & Cpu.IF) != 0) {
            int vector = host.acknowledgeInterrupt();
            if (vector >= 0) {
                startIp = ip; // a #PF while delivering returns to the interrupted instruction
                cinf = 0;
                Control.interrupt(this, vector, ip);
            }
        }
        eventAt = next;
        limit = Math.min(runLimit, next);
    }

    // ---- leaving the instruction early ----

    /**
     * Delivers fault {@code vec} for the current instruction (the pushed return address is the
     * instruction's own), records vector, CS:IP and bytes for reports, and unwinds.
     */
    void fault(int vec) {
        faultErrorCode = pendingErrorCode;
        faultCs = sr[CS];
        faultIp = startIp;
        faultBytesLen = 0;
        int n = Math.max(length(), 1);
        for (int i = 0; i < n && i < faultBytes.length; i++) {
            int b = Bus.peek8(this, sb[CS] + ((startIp + i) & ipMask));
            if (b < 0) {
                break;
            }
            faultBytes[faultBytesLen++] = (byte) b;
        }
        if (delivering > 0) {
            // a fault while delivering another one (an IDT entry or the stack not mapped): #DF, and none for #DF
            if (delivering > 1 || faultVector == 8) {
                stop(StopReason.FAILED, String.format("triple fault: vector %02Xh raised while delivering vector %02Xh at"
                        + " %04X:%08X (CR2=%08X); the machine resets", vec, faultVector, sr[CS], startIp, cr2));
            }
            vec = 8;
            pendingErrorCode = 0;
        }
        faultVector = vec;
        delivering++;
        try {
            Control.interrupt(this, vec, startIp);
        } finally {
            delivering--;
        }
        throw CpuSignal.UNWIND;
    }

    /** Raises fault {@code vec} with an error code (protected mode pushes it after the return address). */
    void fault(int vec, int errorCode) {
        pendingErrorCode = errorCode;
        fault(vec);
    }

    /** Error code the next delivered exception pushes (protected mode), or -1. */
    int pendingErrorCode = -1;

    /** Ends the current run with {@code reason}. */
    void stop(StopReason reason, String detail) {
        stopReason = reason;
        stopDetail = detail;
        throw CpuSignal.STOP;
    }
}
