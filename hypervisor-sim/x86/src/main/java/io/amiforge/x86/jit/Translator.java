package io.amiforge.x86.jit;

import io.amiforge.x86.cpu.BlockTranslator;
import io.amiforge.x86.cpu.DecodedBlock;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.classfile.MethodModel;
import java.lang.classfile.TypeKind;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;

/**
 * Translates a block of decoded 386 instructions (consecutive in one page, up to 64) to the class
 * file of a {@code CompiledBlock} (see {@link BlockTranslator} for the contract): code over the
 * CPU's registers and lazy flags, ended by the first instruction it cannot run (the interpreter
 * runs that one). Branches to the block's own instructions are jumps inside the generated method
 * (backwards, and back to the entry, only while the rest fits before the next machine event);
 * branches elsewhere leave it, with an exact instruction count either way.
 *
 * <p>Translated: MOV (88-8B, B0-BF, C6, C7), LEA, ADD/OR/AND/SUB/XOR/CMP in all forms (00-3D,
 * 80-83), TEST (84, 85, A8, A9), INC/DEC (40-4F, FE/FF /0 /1), PUSH/POP of a general register,
 * NOP, Jcc (short and near), JMP (short and near), LOOP, near CALL and RET. A branch to one of
 * the block's own instructions jumps there (the block goes on past branches); others leave it. Most other instructions (ADC/SBB,
 * shifts, MUL/DIV, flag and string instructions, MOVZX/SETcc, PUSHF/POPF, IN, near calls and
 * returns: {@link Instr#viaInterpreter}) are run through the interpreter's own handler, called
 * from the block with the state it expects, so a block does not end at each of them; the rest
 * (far transfers, interrupts, OUT, system instructions) ends the block before it.
 *
 * <p>Flags are deferred: an ALU result keeps its operands in JVM locals and writes the CPU's
 * lazy-flag record ({@code lop, lmsb, ldst, lsrc, lres}) only where the flags can be observed:
 * before a Jcc or INC/DEC (which reads CF), and on every way out of the block. A flag result
 * overwritten before any of those is never stored (the per-block liveness the interpreter
 * cannot have), and the JIT folds {@code cond(cc)} against the values just stored.
 *
 * <p>Memory operands are computed as {@code Exec.ea} does; a non-direct operand beyond its
 * segment's limit leaves the block before the instruction, so the interpreter raises the
 * fault. Every access goes through {@code Bus} with {@code cinf} and {@code startIp} set, and
 * after each guest write the block leaves if the write hit translated code.
 */
public final class Translator implements BlockTranslator {

    private static final ClassDesc CPU_PKG_EXEC = ClassDesc.of("io.amiforge.x86.cpu.Exec");
    private static final ClassDesc BLOCKS = ClassDesc.of("io.amiforge.x86.cpu.Blocks");
    private static final ClassDesc BUS = ClassDesc.of("io.amiforge.x86.cpu.Bus");
    private static final ClassDesc SUPER = ClassDesc.of("io.amiforge.x86.cpu.CompiledBlock");
    private static final ClassDesc SELF = ClassDesc.of(DecodedBlock.CLASS_NAME);
    private static final ClassDesc INTS = ConstantDescs.CD_int.arrayType();
    private static final MethodTypeDesc RUN = MethodTypeDesc.of(ConstantDescs.CD_void, CPU_PKG_EXEC, BLOCKS);
    private static final MethodTypeDesc READ = MethodTypeDesc.of(ConstantDescs.CD_int, CPU_PKG_EXEC,
            ConstantDescs.CD_int, ConstantDescs.CD_int);
    private static final MethodTypeDesc WRITE = MethodTypeDesc.of(ConstantDescs.CD_void, CPU_PKG_EXEC,
            ConstantDescs.CD_int, ConstantDescs.CD_int, ConstantDescs.CD_int);
    private static final MethodTypeDesc INTERPRET = MethodTypeDesc.of(ConstantDescs.CD_void, CPU_PKG_EXEC,
            ConstantDescs.CD_int, ConstantDescs.CD_int, ConstantDescs.CD_int, ConstantDescs.CD_int);
    private static final ClassDesc ALU = ClassDesc.of("io.amiforge.x86.cpu.Alu");
    private static final ClassDesc SHIFTS = ClassDesc.of("io.amiforge.x86.cpu.Shifts");
    private static final ClassDesc MULDIV = ClassDesc.of("io.amiforge.x86.cpu.MulDiv");
    private static final ClassDesc FLAGOPS = ClassDesc.of("io.amiforge.x86.cpu.FlagOps");
    private static final ClassDesc STRINGS = ClassDesc.of("io.amiforge.x86.cpu.Strings");
    private static final ClassDesc ONE_BYTE = ClassDesc.of("io.amiforge.x86.cpu.OneByte");
    private static final ClassDesc TWO_BYTE = ClassDesc.of("io.amiforge.x86.cpu.TwoByte");
    private static final MethodTypeDesc EXEC_TO_VOID = MethodTypeDesc.of(ConstantDescs.CD_void, CPU_PKG_EXEC);
    private static final MethodTypeDesc EXEC_INT = MethodTypeDesc.of(ConstantDescs.CD_void, CPU_PKG_EXEC,
            ConstantDescs.CD_int);
    private static final MethodTypeDesc INT_TO_VOID = MethodTypeDesc.of(ConstantDescs.CD_void, ConstantDescs.CD_int);
    private static final MethodTypeDesc TO_INT = MethodTypeDesc.of(ConstantDescs.CD_int);
    private static final MethodTypeDesc INT_TO_BOOL = MethodTypeDesc.of(ConstantDescs.CD_boolean, ConstantDescs.CD_int);
    private static final ClassFile CLASS_FILE = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(
            ClassHierarchyResolver.defaultResolver().orElse(
                    ClassHierarchyResolver.ofClassLoading(Translator.class.getClassLoader()))));

    /**
     * Longest {@code run} method emitted: HotSpot does not compile methods above 8000 bytes of bytecode
     * ({@code -XX:HugeMethodLimit}), and a block its JIT never compiles would run slower than the interpreter; a
     * longer block is translated again with half as many instructions.
     */
    private static final int MAX_RUN_BYTES = 7500;

    public Translator() {
    }

    @Override
    public Translation translate(DecodedBlock code) {
        for (int max = DecodedBlock.MAX_INSTRUCTIONS; max > 0; max /= 2) {
            int scanned = Instr.translatable(code, max);
            if (scanned == 0) {
                return null;
            }
            boolean[] live = Instr.reachable(code, scanned);
            int n = scanned;
            while (!live[n - 1]) {
                n--;
            }
            int count = n;
            byte[] classFile = CLASS_FILE.build(SELF, cb -> cb
                    .withFlags(ClassFile.ACC_FINAL | ClassFile.ACC_SUPER)
                    .withSuperclass(SUPER)
                    .withMethodBody(ConstantDescs.INIT_NAME, ConstantDescs.MTD_void, ClassFile.ACC_PUBLIC, c -> c
                            .aload(0)
                            .invokespecial(SUPER, ConstantDescs.INIT_NAME, ConstantDescs.MTD_void)
                            .return_())
                    .withMethodBody("run", RUN, ClassFile.ACC_PUBLIC | ClassFile.ACC_FINAL,
                            c -> new Emitter(c, code, count, live).emit()));
            if (runLength(classFile) <= MAX_RUN_BYTES || n == 1) {
                int bytes = 0;
                for (int i = 0; i < n; i++) {
                    bytes += Instr.length(code.info(i));
                }
                return new Translation(classFile, n, bytes);
            }
        }
        return null;
    }

    /** Bytecode length of the class's {@code run} method. */
    private static int runLength(byte[] classFile) {
        for (MethodModel m : ClassFile.of().parse(classFile).methods()) {
            if (m.methodName().equalsString("run")) {
                return m.findAttribute(Attributes.code()).map(CodeAttribute::codeLength).orElse(0);
            }
        }
        return 0;
    }

    /** Emits one block's {@code run} method; see the class comment. */
    private static final class Emitter {

        private static final int X = 1, B = 2;
        private static final int DS = 3, SS = 2, ESP = 4;
        private final CodeBuilder c;
        private final DecodedBlock code;
        private final int n;
        /**
         * Which instructions the entry reaches, and the labels of those a branch in the block targets (null: none).
         */
        private final boolean[] live;
        private final Label[] at;
        /**
         * The locals: the register array, the epoch and instruction count at the entry (or the last jump back to
         * it), and how many more instructions ran than the index of the current one says (jumps within the block).
         */
        private final int r, epoch0, icount0, extra;
        /** The pending flag record: kind (0 none), sign-bit position and the locals holding operands and result. */
        private int pKind, pMsb, pDst, pSrc, pRes;
        private int off, seg;

        Emitter(CodeBuilder c, DecodedBlock code, int n, boolean[] live) {
            this.c = c;
            this.code = code;
            this.n = n;
            this.live = live;
            this.at = new Label[n];
            this.r = c.allocateLocal(TypeKind.REFERENCE);
            this.epoch0 = c.allocateLocal(TypeKind.INT);
            this.icount0 = c.allocateLocal(TypeKind.LONG);
            this.extra = c.allocateLocal(TypeKind.INT);
            for (int k = 0; k < n; k++) {
                int inf = code.info(k);
                if (live[k] && Instr.known(inf) && Instr.branch(Instr.op(inf))) {
                    int j = Instr.indexOf(code, n, Instr.target(code, k));
                    if (j > 0 && at[j] == null) {
                        at[j] = c.newLabel();
                    }
                }
            }
        }

        void emit() {
            c.aload(X).getfield(CPU_PKG_EXEC, "r", INTS).astore(r);
            c.aload(B).getfield(BLOCKS, "epoch", ConstantDescs.CD_int).istore(epoch0);
            Label top = c.newBoundLabel();
            c.aload(X).getfield(CPU_PKG_EXEC, "icount", ConstantDescs.CD_long).lstore(icount0);
            c.iconst_0().istore(extra);
            boolean falls = true;
            for (int k = 0; k < n; k++) {
                if (!live[k]) {
                    continue;
                }
                if (at[k] != null) {
                    if (falls) {
                        flushFlags(); // a jump here brings none pending
                    }
                    pKind = 0;
                    c.labelBinding(at[k]);
                }
                falls = instruction(k, top);
            }
            if (falls) {
                exit(nextIp(n - 1), n);
            }
        }

        // ---- helpers over the decoded instruction ----

        private int nextIp(int k) {
            return (code.ip(k) + Instr.length(code.info(k))) & (code.code32() ? -1 : 0xFFFF);
        }

        // ---- exits ----

        /** Stores the pending flag record (code only; the compile-time state is unchanged). */
        private void storeFlags() {
            if (pKind == 0) {
                return;
            }
            c.aload(X).loadConstant(pKind).putfield(CPU_PKG_EXEC, "lop", ConstantDescs.CD_int);
            c.aload(X).loadConstant(pMsb).putfield(CPU_PKG_EXEC, "lmsb", ConstantDescs.CD_int);
            c.aload(X).iload(pDst).putfield(CPU_PKG_EXEC, "ldst", ConstantDescs.CD_int);
            c.aload(X).iload(pSrc).putfield(CPU_PKG_EXEC, "lsrc", ConstantDescs.CD_int);
            c.aload(X).iload(pRes).putfield(CPU_PKG_EXEC, "lres", ConstantDescs.CD_int);
        }

        /** Stores the pending flags on the main path: from here on the CPU's record is current. */
        private void flushFlags() {
            storeFlags();
            pKind = 0;
        }

        /** Pushes the instruction count once instruction {@code index} is next: the entry's + index + {@link #extra}. */
        private void count(int index) {
            c.lload(icount0).loadConstant((long) index).ladd().iload(extra).i2l().ladd();
        }

        /** Leaves the block with IP at {@code ip} and instruction {@code index} next (all before it executed). */
        private void exit(int ip, int index) {
            storeFlags();
            c.aload(X).loadConstant(ip).putfield(CPU_PKG_EXEC, "ip", ConstantDescs.CD_int);
            c.aload(X);
            count(index);
            c.putfield(CPU_PKG_EXEC, "icount", ConstantDescs.CD_long);
            c.return_();
        }

        /**
         * Branch {@code k} taken to {@code target} (flags already stored): to the entry, back to the top while the
         * next pass fits before {@code x.limit}; to another of the block's instructions, a jump there (backwards
         * only while the rest of the block fits); elsewhere, out of the block.
         */
        private void branch(int k, int target, Label top) {
            int j = Instr.indexOf(code, n, target);
            if (j == 0) {
                Label out = c.newLabel();
                c.aload(X);
                count(k + 1);
                c.putfield(CPU_PKG_EXEC, "icount", ConstantDescs.CD_long);
                c.aload(X).getfield(CPU_PKG_EXEC, "icount", ConstantDescs.CD_long).loadConstant((long) n).ladd()
                        .aload(X).getfield(CPU_PKG_EXEC, "limit", ConstantDescs.CD_long).lcmp().ifgt(out);
                c.goto_(top);
                c.labelBinding(out);
                c.aload(X).loadConstant(target).putfield(CPU_PKG_EXEC, "ip", ConstantDescs.CD_int);
                c.return_();
            } else if (j > 0) {
                c.iinc(extra, k + 1 - j);
                if (j <= k) {
                    Label out = c.newLabel();
                    count(n);
                    c.aload(X).getfield(CPU_PKG_EXEC, "limit", ConstantDescs.CD_long).lcmp().ifgt(out);
                    c.goto_(at[j]);
                    c.labelBinding(out);
                    exit(target, j);
                } else {
                    c.goto_(at[j]);
                }
            } else {
                exit(target, k + 1);
            }
        }

        /** After a guest write: leave (at the next instruction) if it hit translated code. */
        private void checkEpoch(int k) {
            checkEpoch(k, nextIp(k));
        }

        /** After a guest write by instruction {@code k}: leave, going on at {@code ip}, if it hit translated code. */
        private void checkEpoch(int k, int ip) {
            Label same = c.newLabel();
            c.aload(B).getfield(BLOCKS, "epoch", ConstantDescs.CD_int).iload(epoch0).if_icmpeq(same);
            exit(ip, k + 1);
            c.labelBinding(same);
        }

        // ---- registers ----

        private void loadReg(int sz, int i) {
            if (sz == 0) {
                c.aload(r).loadConstant(i & 3).iaload();
                if (i >= 4) {
                    c.loadConstant(8).iushr();
                }
                c.loadConstant(0xFF).iand();
            } else {
                c.aload(r).loadConstant(i).iaload();
                if (sz == 1) {
                    c.loadConstant(0xFFFF).iand();
                }
            }
        }

        /** Register {@code i} of size {@code sz} = the value in local {@code v} (only its low bits count). */
        private void storeReg(int sz, int i, int v) {
            if (sz == 2) {
                c.aload(r).loadConstant(i).iload(v).iastore();
                return;
            }
            int j = sz == 0 ? i & 3 : i, shift = sz == 0 && i >= 4 ? 8 : 0;
            int keep = sz == 0 ? ~(0xFF << shift) : 0xFFFF0000;
            c.aload(r).loadConstant(j).aload(r).loadConstant(j).iaload().loadConstant(keep).iand();
            c.iload(v).loadConstant(sz == 0 ? 0xFF : 0xFFFF).iand();
            if (shift != 0) {
                c.loadConstant(shift).ishl();
            }
            c.ior().iastore();
        }

        private int local() {
            return c.allocateLocal(TypeKind.INT);
        }

        private int store() {
            int v = local();
            c.istore(v);
            return v;
        }

        // ---- memory ----

        /** Sets {@code cinf}/{@code startIp} for Bus and computes the ModR/M operand's segment and offset. */
        private void memoryOperand(int k, int inf, boolean limitCheck) {
            int modrm = Instr.modrm(inf), mod = modrm >>> 6, rm = modrm & 7, ov = (inf >>> 16) & 7;
            int s = DS;
            if (inf < 0) {
                c.loadConstant(code.disp(k));
            } else if (((inf >>> 15) & 1) == 0) {
                int[] regs = switch (rm) {
                    case 0 -> new int[] {3, 6};
                    case 1 -> new int[] {3, 7};
                    case 2 -> new int[] {5, 6};
                    case 3 -> new int[] {5, 7};
                    case 4 -> new int[] {6};
                    case 5 -> new int[] {7};
                    case 6 -> mod == 0 ? new int[0] : new int[] {5};
                    default -> new int[] {3};
                };
                if (rm == 2 || rm == 3 || (rm == 6 && mod != 0)) {
                    s = SS;
                }
                sumRegs(regs);
                c.loadConstant(code.disp(k)).iadd().loadConstant(0xFFFF).iand();
            } else {
                if (rm == 4) {
                    int sib = code.imm2(k), base = sib & 7, idx = (sib >>> 3) & 7;
                    if (idx == 4) {
                        c.iconst_0();
                    } else {
                        c.aload(r).loadConstant(idx).iaload().loadConstant(sib >>> 6).ishl();
                    }
                    if (!(base == 5 && mod == 0)) {
                        c.aload(r).loadConstant(base).iaload().iadd();
                        if (base == ESP || base == 5) {
                            s = SS;
                        }
                    }
                } else if (rm == 5 && mod == 0) {
                    c.iconst_0();
                } else {
                    c.aload(r).loadConstant(rm).iaload();
                    if (rm == 5) {
                        s = SS;
                    }
                }
                c.loadConstant(code.disp(k)).iadd();
            }
            if (ov != 0) {
                s = ov - 1;
            }
            off = store();
            seg = s;
            if (limitCheck && inf >= 0) {
                Label ok = c.newLabel();
                c.iload(off).aload(X).getfield(CPU_PKG_EXEC, "slim", INTS).loadConstant(s).iaload()
                        .invokestatic(ConstantDescs.CD_Integer, "compareUnsigned",
                                MethodTypeDesc.of(ConstantDescs.CD_int, ConstantDescs.CD_int, ConstantDescs.CD_int))
                        .ifle(ok);
                exit(code.ip(k), k);
                c.labelBinding(ok);
            }
        }

        private void sumRegs(int[] regs) {
            if (regs.length == 0) {
                c.iconst_0();
                return;
            }
            c.aload(r).loadConstant(regs[0]).iaload();
            for (int i = 1; i < regs.length; i++) {
                c.aload(r).loadConstant(regs[i]).iaload().iadd();
            }
        }

        /** Tells Bus (and a fault raised inside it) which instruction is accessing memory. */
        private void busContext(int k) {
            c.aload(X).loadConstant(code.info(k)).putfield(CPU_PKG_EXEC, "cinf", ConstantDescs.CD_int);
            c.aload(X).loadConstant(code.ip(k)).putfield(CPU_PKG_EXEC, "startIp", ConstantDescs.CD_int);
        }

        private void loadSegBase() {
            c.aload(X).getfield(CPU_PKG_EXEC, "sb", INTS).loadConstant(seg).iaload();
        }

        private void readMem(int sz) {
            c.aload(X);
            loadSegBase();
            c.iload(off).invokestatic(BUS, sz == 0 ? "rd8" : sz == 1 ? "rd16" : "rd32", READ);
        }

        private void writeMem(int k, int sz, int v) {
            c.aload(X);
            loadSegBase();
            c.iload(off).iload(v).invokestatic(BUS, sz == 0 ? "wr8" : sz == 1 ? "wr16" : "wr32", WRITE);
            checkEpoch(k);
        }

        /** Pushes the ModR/M operand (register or memory) of size {@code sz}. */
        private void readRm(int inf, int sz) {
            int modrm = Instr.modrm(inf);
            if (modrm >= 0xC0) {
                loadReg(sz, modrm & 7);
            } else {
                readMem(sz);
            }
        }

        private void writeRm(int k, int inf, int sz, int v) {
            int modrm = Instr.modrm(inf);
            if (modrm >= 0xC0) {
                storeReg(sz, modrm & 7, v);
            } else {
                writeMem(k, sz, v);
            }
        }

        // ---- instructions ----

        /** Emits instruction {@code k}; false when it never goes on to the next (JMP, or a block-ending one). */
        private boolean instruction(int k, Label top) {
            int inf = code.info(k), op = inf & 0x3FF, o32 = (inf >>> 14) & 1, sz = 1 + o32;
            int modrm = Instr.modrm(inf), reg = (modrm >>> 3) & 7;
            boolean mem = ((inf >>> 21) & 1) != 0;
            if (!Instr.known(inf)) {
                return viaInterpreter(k, inf);
            }
            if (mem || (op >= 0x50 && op < 0x60)) {
                busContext(k);
            }
            if (mem) {
                memoryOperand(k, inf, op != 0x8D);
            }
            if (op < 0x40 && (op & 7) < 6) {
                int aop = op >>> 3, form = op & 7, osz = (form & 1) == 0 ? 0 : sz;
                switch (form) {
                    case 0, 1 -> {
                        readRm(inf, osz);
                        int d = store();
                        loadReg(osz, reg);
                        alu(k, inf, aop, osz, d, store(), true);
                    }
                    case 2, 3 -> {
                        loadReg(osz, reg);
                        int d = store();
                        readRm(inf, osz);
                        int res = alu(k, inf, aop, osz, d, store(), false);
                        if (aop != 7) {
                            storeReg(osz, reg, res);
                        }
                    }
                    default -> {
                        loadReg(osz, 0);
                        int d = store();
                        c.loadConstant(code.imm(k) & Instr.mask(osz));
                        int res = alu(k, inf, aop, osz, d, store(), false);
                        if (aop != 7) {
                            storeReg(osz, 0, res);
                        }
                    }
                }
                return true;
            }
            switch (op) {
                case 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F -> {
                    loadReg(sz, op & 7);
                    storeReg(sz, op & 7, incDec(sz, op >= 0x48));
                }
                case 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57 -> {
                    c.aload(X).aload(r).loadConstant(op & 7).iaload()
                            .invokevirtual(CPU_PKG_EXEC, o32 == 1 ? "push32" : "push16", INT_TO_VOID);
                    checkEpoch(k);
                }
                case 0x58, 0x59, 0x5A, 0x5B, 0x5C, 0x5D, 0x5E, 0x5F -> {
                    c.aload(X).invokevirtual(CPU_PKG_EXEC, o32 == 1 ? "pop32" : "pop16", TO_INT);
                    storeReg(sz, op & 7, store());
                }
                case 0x80, 0x81, 0x82, 0x83 -> {
                    int osz = op == 0x80 || op == 0x82 ? 0 : sz;
                    readRm(inf, osz);
                    int d = store();
                    c.loadConstant(code.imm(k) & Instr.mask(osz));
                    alu(k, inf, reg, osz, d, store(), true);
                }
                case 0x84, 0x85, 0xA8, 0xA9 -> {
                    int osz = (op & 1) == 0 ? 0 : sz;
                    if (op < 0xA8) {
                        readRm(inf, osz);
                    } else {
                        loadReg(osz, 0);
                    }
                    int d = store();
                    if (op < 0xA8) {
                        loadReg(osz, reg);
                    } else {
                        c.loadConstant(code.imm(k) & Instr.mask(osz));
                    }
                    alu(k, inf, 4, osz, d, store(), false);
                }
                case 0x88, 0x89 -> {
                    int osz = op == 0x88 ? 0 : sz;
                    loadReg(osz, reg);
                    writeRm(k, inf, osz, store());
                }
                case 0x8A, 0x8B -> {
                    int osz = op == 0x8A ? 0 : sz;
                    readRm(inf, osz);
                    storeReg(osz, reg, store());
                }
                case 0x8D -> {
                    c.iload(off);
                    storeReg(sz, reg, store());
                }
                case 0x90 -> {
                }
                case 0xB0, 0xB1, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7 -> {
                    c.loadConstant(code.imm(k));
                    storeReg(0, op & 7, store());
                }
                case 0xB8, 0xB9, 0xBA, 0xBB, 0xBC, 0xBD, 0xBE, 0xBF -> {
                    c.loadConstant(code.imm(k));
                    storeReg(sz, op & 7, store());
                }
                case 0xC6, 0xC7 -> {
                    c.loadConstant(code.imm(k));
                    writeRm(k, inf, op == 0xC6 ? 0 : sz, store());
                }
                case 0xFE, 0xFF -> {
                    int osz = op == 0xFE ? 0 : sz;
                    readRm(inf, osz);
                    writeRm(k, inf, osz, incDec(osz, reg == 1));
                }
                case 0xE2 -> {
                    flushFlags();
                    int a32 = (inf >>> 15) & 1;
                    c.aload(r).loadConstant(1).iaload().iconst_1().isub();
                    int cx = store();
                    if (a32 == 1) {
                        storeReg(2, 1, cx);
                    } else {
                        storeReg(1, 1, cx);
                    }
                    c.iload(cx);
                    if (a32 == 0) {
                        c.loadConstant(0xFFFF).iand();
                    }
                    Label notTaken = c.newLabel();
                    c.ifeq(notTaken);
                    branch(k, Instr.target(code, k), top);
                    c.labelBinding(notTaken);
                }
                case 0xE9, 0xEB -> {
                    flushFlags();
                    branch(k, Instr.target(code, k), top);
                    return false;
                }
                case 0xE8 -> {
                    int target = Instr.target(code, k);
                    busContext(k);
                    c.aload(X).loadConstant(nextIp(k))
                            .invokevirtual(CPU_PKG_EXEC, o32 == 1 ? "push32" : "push16", INT_TO_VOID);
                    checkEpoch(k, target);
                    flushFlags();
                    branch(k, target, top);
                    return false;
                }
                case 0xC3 -> {
                    busContext(k);
                    c.aload(X).invokevirtual(CPU_PKG_EXEC, o32 == 1 ? "pop32" : "pop16", TO_INT);
                    int target = store();
                    storeFlags();
                    c.aload(X).iload(target).putfield(CPU_PKG_EXEC, "ip", ConstantDescs.CD_int);
                    c.aload(X);
                    count(k + 1);
                    c.putfield(CPU_PKG_EXEC, "icount", ConstantDescs.CD_long);
                    c.return_();
                    return false;
                }
                default -> {
                    // Jcc: 70-7F and 0F 80-8F
                    flushFlags();
                    Label notTaken = c.newLabel();
                    c.aload(X).loadConstant(op & 0xF).invokevirtual(CPU_PKG_EXEC, "cond", INT_TO_BOOL).ifeq(notTaken);
                    branch(k, Instr.target(code, k), top);
                    c.labelBinding(notTaken);
                }
            }
            return true;
        }

        /**
         * Instruction {@code k} through the interpreter's handler ({@code Blocks.operand}, then the handler), with
         * the state it expects: the flag record current, IP past the instruction, its start and the count including
         * it. The block leaves after it when it is {@link Instr#LAST}, set IP elsewhere, brought the next machine event within the
         * block (STI-like flag changes, a port read) or wrote translated code. Returns whether the block goes on.
         */
        private boolean viaInterpreter(int k, int inf) {
            flushFlags();
            int next = nextIp(k);
            c.aload(X).loadConstant(next).putfield(CPU_PKG_EXEC, "ip", ConstantDescs.CD_int);
            c.aload(X).loadConstant(code.ip(k)).putfield(CPU_PKG_EXEC, "startIp", ConstantDescs.CD_int);
            c.aload(X);
            count(k + 1);
            c.putfield(CPU_PKG_EXEC, "icount", ConstantDescs.CD_long);
            c.aload(X).loadConstant(inf).loadConstant(code.disp(k)).loadConstant(code.imm(k)).loadConstant(code.imm2(k))
                    .invokestatic(BLOCKS, "operand", INTERPRET);
            handler(inf);
            if (Instr.viaInterpreter(inf) == Instr.LAST) {
                c.return_();
                return false;
            }
            if (k + 1 < n) {
                Label leave = c.newLabel(), on = c.newLabel();
                c.aload(X).getfield(CPU_PKG_EXEC, "ip", ConstantDescs.CD_int).loadConstant(next).if_icmpne(leave);
                c.aload(X).getfield(CPU_PKG_EXEC, "limit", ConstantDescs.CD_long);
                count(n);
                c.lcmp().iflt(leave);
                c.aload(B).getfield(BLOCKS, "epoch", ConstantDescs.CD_int).iload(epoch0).if_icmpeq(on);
                c.labelBinding(leave);
                c.return_();
                c.labelBinding(on);
            }
            return true;
        }

        /**
         * Calls the interpreter's handler of the current instruction: for the ones blocks run most (ADC/SBB, shifts,
         * group 3, PUSHF/POPF, flag and string instructions) the handler method itself, so the JIT sees one target
         * per call site; otherwise the one- or two-byte dispatch switch.
         */
        private void handler(int inf) {
            int op = Instr.op(inf), o32 = (inf >>> 14) & 1;
            c.aload(X);
            if (op < 0x40) { // ADC/SBB (the others of this range: the switch)
                String[] forms = {"EbGb", "EvGv", "GbEb", "GvEv", "AlIb", "AxIv"};
                int aop = op >>> 3;
                if ((aop == 2 || aop == 3) && (op & 7) < 6) {
                    c.invokestatic(ALU, (aop == 2 ? "adc" : "sbb") + forms[op & 7], EXEC_TO_VOID);
                    return;
                }
            }
            switch (op) {
                case 0xC0, 0xC1, 0xD0, 0xD1, 0xD2, 0xD3 -> c.loadConstant(op).invokestatic(SHIFTS, "group2", EXEC_INT);
                case 0xF6, 0xF7 -> c.loadConstant(op == 0xF6 ? 0 : 1 + o32).invokestatic(MULDIV, "group3", EXEC_INT);
                case 0x9C, 0x9D -> c.invokestatic(FLAGOPS, op == 0x9C ? "pushf" : "popf", EXEC_TO_VOID);
                case 0xF5, 0xF8, 0xF9, 0xFA, 0xFC, 0xFD -> c.loadConstant(op).invokestatic(FLAGOPS, "setClear", EXEC_INT);
                case 0xA4, 0xA5, 0xA6, 0xA7, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF ->
                        c.loadConstant(op).invokestatic(STRINGS, "string", EXEC_INT);
                default -> c.loadConstant(op).invokestatic(op < 0x100 ? ONE_BYTE : TWO_BYTE, "exec", EXEC_INT);
            }
        }

        /**
         * ADD OR AND SUB XOR CMP (aop 0 1 4 5 6 7) of the masked operands in locals {@code d} and
         * {@code s}; the result (masked) becomes the pending flag record and, with
         * {@code toRm}, is written to the ModR/M operand (not for CMP). Returns the result's local.
         */
        private int alu(int k, int inf, int aop, int sz, int d, int s, boolean toRm) {
            c.iload(d).iload(s);
            switch (aop) {
                case 0 -> c.iadd();
                case 1 -> c.ior();
                case 4 -> c.iand();
                case 6 -> c.ixor();
                default -> c.isub();
            }
            if (sz != 2) {
                c.loadConstant(Instr.mask(sz)).iand();
            }
            int res = store();
            pKind = aop == 0 ? Instr.L_ADD : aop == 5 || aop == 7 ? Instr.L_SUB : Instr.L_LOGIC;
            pMsb = (8 << sz) - 1;
            pDst = d;
            pSrc = s;
            pRes = res;
            if (toRm && aop != 7) {
                writeRm(k, inf, sz, res);
            }
            return res;
        }

        /** INC/DEC of the (unmasked) value on the stack: CF folded into EFLAGS, then the pending record; returns the result's local. */
        private int incDec(int sz, boolean dec) {
            if (sz != 2) {
                c.loadConstant(Instr.mask(sz)).iand();
            }
            int v = store();
            flushFlags();
            c.aload(X).aload(X).getfield(CPU_PKG_EXEC, "flags", ConstantDescs.CD_int).loadConstant(~1).iand()
                    .aload(X).invokevirtual(CPU_PKG_EXEC, "cfNow", TO_INT).ior()
                    .putfield(CPU_PKG_EXEC, "flags", ConstantDescs.CD_int);
            c.iload(v).iconst_1();
            if (dec) {
                c.isub();
            } else {
                c.iadd();
            }
            if (sz != 2) {
                c.loadConstant(Instr.mask(sz)).iand();
            }
            int res = store();
            c.iconst_1();
            pSrc = store();
            pKind = dec ? Instr.L_DEC : Instr.L_INC;
            pMsb = (8 << sz) - 1;
            pDst = v;
            pRes = res;
            return res;
        }
    }
}
