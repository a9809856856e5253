package io.amiforge.x86.cpu;

/**
 * An Intel 80386 in real and protected mode: 16- or 32-bit default operand and address size
 * (CS.D) with the 0x66/0x67 prefixes, 32-bit registers and SIB addressing, segment overrides
 * including FS/GS, REP prefixes, exact arithmetic flags (computed lazily from the last
 * result), the integer instruction set a boot loader or kernel setup uses, and faults
 * delivered through the IVT in real mode (divide error INT 0, invalid opcode INT 6 with the
 * bytes and CS:IP kept for the report) or the IDT in protected mode. Protected mode
 * ({@link #setProtectedMode}) runs at CPL 0 with descriptor caches, GDT/LDT segment loads
 * with their checks, 16- and 32-bit code and stack segments and IDT gates; without it,
 * setting CR0.PE stops the run with {@link StopReason#PROTECTED_MODE}.
 *
 * <p>Decode once, execute many: each instruction is decoded on first execution into the
 * {@link DecodeCache} under its physical address; writes into a 128-byte chunk that holds
 * decoded code forget those entries. The execution loop allocates nothing; a fault or a stop
 * unwinds with a pre-allocated stackless signal.
 *
 * <p>Hardware interrupts come from the {@link CpuHost}: the loop asks it at the instruction
 * count it named ({@link CpuHost#advanceTo}) and, with IF set, takes the vector it hands over
 * ({@link CpuHost#acknowledgeInterrupt}); HLT with IF set skips ahead to that count, the wait
 * counting as instructions (virtual time is the instruction count).
 *
 * <p>Paging (CR0.PG) is 32-bit paging with 4 KiB and 4 MiB pages, accessed and dirty bits, #PF
 * with CR2 and its error code, and a software TLB that MOV CR3 and INVLPG flush
 * ({@link Paging}); PAE paging stops the run as failed.
 *
 * <p>Not emulated: privilege levels, task switches, V86 and long mode, the trap flag, the FPU (escape opcodes decode their operand
 * and do nothing); in real mode with 16-bit addressing a word at offset 0xFFFF wraps within
 * the segment, as on the 8086.
 *
 * <p>The parts: {@link CpuState} (registers, segments, lazy flags), {@link Decoder} (prefixes,
 * ModR/M, immediates into the {@link DecodeCache}), {@link Bus} (segmented memory access),
 * {@link Exec} (the current instruction's operands, stack, faults), and the instruction groups
 * {@link Alu}, {@link Shifts}, {@link Bits}, {@link MulDiv}, {@link Bcd}, {@link DataMove},
 * {@link Strings}, {@link Control}, {@link FlagOps} and {@link SystemOps}, reached from the
 * opcode switches in {@link OneByte} and {@link TwoByte}. This class is the fetch-dispatch loop
 * and the public face.
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

    /** The architectural state, the same object as {@link #x} seen as state only. */
    private final CpuState s;
    private final DecodeCache dc;
    private final Decoder decoder;
    private final Exec x;
    /** The decode-cache entries and segment bases, read by the loop on every instruction. */
    private final int[] ce, sb;
    /** Translated basic blocks, or null when the interpreter runs everything. */
    private Blocks blocks;

    /**
     * Executions of a block's entry before it is translated to JVM bytecode: the system property
     * {@code amiforge.x86.jit} ({@code on}, the default, or {@code off}) and
     * {@code amiforge.x86.jit.threshold} (default {@value #DEFAULT_JIT_THRESHOLD}); 0 when off.
     */
    public static final int JIT_THRESHOLD = jitThreshold();
    /** Default of {@code amiforge.x86.jit.threshold}. */
    public static final int DEFAULT_JIT_THRESHOLD = 256;

    public Cpu(Memory mem, CpuHost host) {
        this.dc = new DecodeCache();
        mem.cache = dc;
        this.x = new Exec(mem, dc, host, this);
        this.s = x;
        this.decoder = new Decoder(x, dc, host, this);
        this.ce = dc.e;
        this.sb = s.sb;
        setTranslation(JIT_THRESHOLD);
    }

    private static int jitThreshold() {
        String on = System.getProperty("amiforge.x86.jit", "on");
        if (!on.equals("on") && !on.equals("off")) {
            throw new IllegalArgumentException("amiforge.x86.jit=" + on + ": expected on or off");
        }
        String t = System.getProperty("amiforge.x86.jit.threshold", String.valueOf(DEFAULT_JIT_THRESHOLD));
        int n;
        try {
            n = Integer.parseInt(t.strip());
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 1) {
            throw new IllegalArgumentException("amiforge.x86.jit.threshold=" + t + ": expected a whole number >= 1");
        }
        return on.equals("on") ? n : 0;
    }

    /**
     * Translates hot basic blocks to JVM bytecode after {@code threshold} executions of their
     * entry, or (0) interprets everything; forgets blocks translated so far. Without a
     * translator on the class path ({@link BlockTranslator}) the CPU always interprets.
     */
    public void setTranslation(int threshold) {
        if (threshold < 0) {
            throw new IllegalArgumentException("translation threshold " + threshold + " < 0");
        }
        blocks = threshold > 0 && Blocks.available() ? new Blocks(threshold) : null;
        dc.blocks = blocks;
    }

    /** Number of basic blocks translated so far (0 with translation off). */
    public int translatedBlocks() {
        return blocks == null ? 0 : blocks.translated();
    }

    // =====================================================================================
    // public API
    // =====================================================================================

    public Memory memory() {
        return x.mem;
    }

    /** Whether code at the BIOS stubs traps to {@link CpuHost#bios} (default true; off for bare CPU tests). */
    public void setBiosTraps(boolean on) {
        decoder.biosTraps = on;
        dc.clear();
    }

    /**
     * Whether setting CR0.PE enters protected mode (true) or stops the run with
     * {@link StopReason#PROTECTED_MODE} (false, the default).
     */
    public void setProtectedMode(boolean execute) {
        x.protectedMode = execute;
    }

    /** Whether the CPU is in protected mode (CR0.PE). */
    public boolean protectedMode() {
        return s.pe;
    }

    /** EIP (all 32 bits; {@link #ip()} is the same register). */
    public int eip() {
        return s.ip;
    }

    /**
     * From {@link CpuHost#bios}: instead of the stub's IRET, continue in the real-mode handler of
     * {@code vector} (through the IVT) with the interrupt frame left on the stack, so that
     * handler's IRET returns to the interrupted code (a BIOS chaining INT 1Ch from IRQ 0).
     */
    public void chainToVector(int vector) {
        x.chainVector = vector & 0xFF;
    }

    /** Opens or closes the A20 gate. */
    public void setA20(boolean on) {
        x.mem.setA20(on);
        x.a20 = x.pg ? Memory.A20_OPEN : x.mem.a20Mask;
    }

    public boolean a20() {
        return x.mem.a20();
    }

    /** Runs until a stop or until {@code maxInstructions} more instructions have executed. */
    public StopReason run(long maxInstructions) {
        x.runLimit = maxInstructions >= Long.MAX_VALUE - s.icount ? Long.MAX_VALUE : s.icount + maxInstructions;
        x.limit = x.halted ? x.icount : Math.min(x.runLimit, x.eventAt);
        x.stopReason = null;
        x.stopDetail = null;
        // the loop's operands in locals: they stay in registers across the dispatch calls
        Exec x = this.x;
        Decoder decoder = this.decoder;
        int[] ce = this.ce, sb = this.sb;
        Blocks blocks = this.blocks;
        while (true) {
            try {
                while (true) {
                    // the limit is re-read: STI, POPF, IRET and OUT may bring the next event forward
                    if (blocks == null) {
                        while (x.icount < x.limit) {
                            step(x, decoder, ce, sb);
                        }
                    } else {
                        while (x.icount < x.limit) {
                            if (!blocks.runAt(x)) {
                                step(x, decoder, ce, sb);
                            }
                        }
                    }
                    if (x.icount >= x.runLimit) {
                        return StopReason.BUDGET;
                    }
                    x.events();
                }
            } catch (CpuSignal signal) {
                if (signal == CpuSignal.STOP) {
                    return x.stopReason;
                }
            }
        }
    }

    /**
     * Executes exactly one instruction (a REP-prefixed one to completion), delivering a fault
     * it raises; returns null, or the reason the instruction stopped the machine.
     */
    public StopReason stepInstruction() {
        x.runLimit = Long.MAX_VALUE;
        x.limit = Long.MAX_VALUE;
        x.stopReason = null;
        try {
            step(x, decoder, ce, sb);
        } catch (CpuSignal signal) {
            if (signal == CpuSignal.STOP) {
                return x.stopReason;
            }
        }
        return null;
    }

    /**
     * Test support: decodes the instruction at CS:IP, translates it alone as a block and runs
     * that, delivering a fault it raises; returns false (having done nothing) when translation
     * is off or the translator does not know the instruction.
     */
    boolean stepTranslated() {
        if (blocks == null) {
            return false;
        }
        int ip0 = x.ip;
        int phys = (sb[CS] + ip0) & x.a20;
        int slot = (phys & (DecodeCache.SIZE - 1)) << 3;
        if (ce[slot] != (phys | x.codeTag)) {
            decoder.decode(phys, slot, ip0);
        }
        CompiledBlock b = blocks.translate(x, phys, ip0, 1);
        if (b == null) {
            return false;
        }
        int inf = ce[slot + 1], op = inf & 0x3FF;
        boolean repString = op >= 0xA4 && op <= 0xAF && ((inf >>> 19) & 3) != 0;
        // one instruction: a jump to itself must not loop, but a REP string instruction runs to its end
        x.runLimit = repString ? Long.MAX_VALUE : x.icount + 1;
        x.limit = x.runLimit;
        x.stopReason = null;
        try {
            b.run(x, blocks);
        } catch (CpuSignal signal) {
            // a fault was delivered (or a stop recorded) as stepInstruction would
        }
        return true;
    }

    /** Ends the current {@link #run} with {@code reason}; callable from host callbacks. */
    public void stop(StopReason reason, String detail) {
        x.stop(reason, detail);
    }

    public String stopDetail() {
        return x.stopDetail;
    }

    public long instructions() {
        return s.icount;
    }

    public int reg32(int i) {
        return s.r[i];
    }

    public void setReg32(int i, int v) {
        s.r[i] = v;
    }

    public int reg16(int i) {
        return s.r[i] & 0xFFFF;
    }

    public void setReg16(int i, int v) {
        s.setReg(1, i, v);
    }

    /** 8-bit register by x86 number (AL CL DL BL AH CH DH BH). */
    public int reg8(int i) {
        return s.reg8(i);
    }

    public void setReg8(int i, int v) {
        s.setReg8(i, v);
    }

    public int seg(int i) {
        return s.sr[i];
    }

    public void setSeg(int i, int v) {
        s.setSeg(i, v);
    }

    public int ip() {
        return s.ip;
    }

    /** Sets IP (EIP in a 32-bit code segment); a CPU halted waiting for an interrupt resumes there. */
    public void setIp(int v) {
        s.ip = v & s.ipMask;
        x.halted = false;
    }

    /** EFLAGS with the arithmetic flags computed. */
    public int flags() {
        return s.flagsValue();
    }

    public void setFlags(int v) {
        s.setFlags(v);
    }

    public void setFlag(int flag, boolean on) {
        int f = s.flagsValue();
        s.flags = on ? f | flag : f & ~flag;
    }

    public int cr0() {
        return s.cr0;
    }

    /** CR2: the linear address of the last page fault. */
    public int cr2() {
        return s.cr2;
    }

    /** CR3: the page directory's physical address (bits 31:12). */
    public int cr3() {
        return s.cr3;
    }

    public int cr4() {
        return s.cr4;
    }

    /** The fault (vector, CS:IP, instruction bytes) the CPU delivered most recently, or vector -1. */
    public int faultVector() {
        return x.faultVector;
    }

    /** Forgets the last fault. */
    public void clearFault() {
        x.faultVector = -1;
    }

    /** The error code of the last fault that has one (#GP selector, #PF bits), or -1. */
    public int faultErrorCode() {
        return x.faultErrorCode;
    }

    public int faultCs() {
        return x.faultCs;
    }

    public int faultIp() {
        return x.faultIp;
    }

    public byte[] faultBytes() {
        return java.util.Arrays.copyOf(x.faultBytes, x.faultBytesLen);
    }

    /** Linear address of CS:IP. */
    public int linearIp() {
        return (sb[CS] + s.ip) & x.a20;
    }

    /**
     * Reads the byte at a linear address as the CPU would (A20 and paging apply), without
     * faulting or setting accessed bits: -1 when paging is on and the page is not mapped.
     */
    public int readLinear8(int linear) {
        return Bus.peek8(x, linear);
    }

    /** Delivers interrupt {@code vec} through the IVT with return address {@code retIp}. */
    public void interrupt(int vec, int retIp) {
        Control.interrupt(x, vec, retIp);
    }

    // =====================================================================================
    // the loop
    // =====================================================================================

    /** Fetches (from the decode cache, decoding on a miss), computes the operand address, dispatches. */
    private static void step(Exec x, Decoder decoder, int[] ce, int[] sb) {
        int ip0 = x.ip;
        int phys = (sb[CS] + ip0) & x.a20;
        int slot = (phys & (DecodeCache.SIZE - 1)) << 3;
        if (ce[slot] != (phys | x.codeTag)) {
            slot = decoder.decode(phys, slot, ip0);
        }
        int inf = ce[slot + 1];
        x.startIp = ip0;
        x.ip = (ip0 + ((inf >>> 10) & 0xF)) & x.ipMask;
        x.icount++;
        execute(x, slot, inf, ce, sb);
    }

    /**
     * Executes the decoded instruction in entry {@code slot} of {@link #ce} (info word
     * {@code inf}) with {@link Exec#ip}, {@link Exec#startIp} and {@link Exec#icount} already
     * moved past it: computes the operand address (a fault beyond the segment's limit) and
     * dispatches. Also how a translated block runs an instruction it leaves to the interpreter
     * ({@link Blocks#operand}).
     */
    static void execute(Exec x, int slot, int inf, int[] ce, int[] sb) {
        operand(x, slot, inf, ce, sb);
        int op = inf & 0x3FF;
        if (op < 0x100) {
            OneByte.exec(x, op);
        } else {
            TwoByte.exec(x, op);
        }
    }

    /** {@link #execute} up to the dispatch: makes entry {@code slot} current and computes its memory operand. */
    static void operand(Exec x, int slot, int inf, int[] ce, int[] sb) {
        x.cur = slot;
        x.cinf = inf;
        int op = inf & 0x3FF;
        if ((inf & (1 << 21)) != 0) {
            if (inf < 0) { // [disp16] with 16-bit addressing
                int seg = (inf >>> 16) & 7;
                x.eaBase = seg == 0 ? sb[DS] : sb[seg - 1];
                x.eaOff = ce[slot + 2];
            } else {
                x.ea();
                if (Integer.compareUnsigned(x.eaOff, x.eaLim) > 0 && op != 0x8D && (op < 0x118 || op > 0x11F)) {
                    x.fault(x.eaSeg == SS ? 12 : 13); // beyond the segment's limit (64 KiB in real mode)
                }
            }
        }
    }
}
