package io.amiforge.x86.jit;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.x86.cpu.Cpu;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random real-mode programs run on two CPUs, one interpreting and one translating every block
 * after its first execution: after each of several run slices (so blocks meet the slice ends)
 * registers, segments, IP, EFLAGS, instruction count and the first 256 KiB of memory must be
 * identical. A program is a loop of random instructions (the translated ALU, MOV, LEA,
 * INC/DEC, TEST, PUSH/POP, Jcc and LOOP forms with random registers, 8/16/32-bit operands and
 * 16- or 32-bit memory operands, mixed with instructions a block runs through the interpreter's
 * handlers: ADC/SBB, shifts and rotates, CLC/STC/CMC, XCHG, PUSHF/POPF, group 3 (MUL/DIV...),
 * MOVZX/MOVSX/SETcc/CMOVcc/BT/BSF, string instructions once and with REP, CALL/RET, PUSH imm,
 * IMUL, MOV ES) and inner loops (LOOP back into the block), closed by a counter in CS memory and
 * JNZ.
 * Data, extra and stack segments lie away from the code; a fault halts through the IVT.
 */
class TranslatorDifferentialProperties {

    private static final int CODE = 0x1000, COUNTER = 0x0F00, HALT = 0x0E00;

    @Property(tries = 300)
    void translatedBlocksMatchTheInterpreter(@ForAll("programs") byte[] program) {
        Cpu interp = JitMachines.machine(program, CODE, 0);
        Cpu jit = JitMachines.machine(program, CODE, 1);
        for (Cpu c : List.of(interp, jit)) {
            c.setSeg(Cpu.DS, 0x2000);
            c.setSeg(Cpu.ES, 0x2800);
            c.setSeg(Cpu.SS, 0x3000);
            c.setReg32(Cpu.ESP, 0x8000);
            c.memory().write16(COUNTER, 40);
            haltOnEveryInterrupt(c);
        }
        for (long slice : new long[] {1, 3, 17, 250, 1000, 20_000}) {
            interp.run(slice);
            jit.run(slice);
            assertThat(JitMachines.state(jit)).as("CPU state after a slice of %d", slice)
                    .isEqualTo(JitMachines.state(interp));
            byte[] a = interp.memory().copyOut(0, 0x40000), b = jit.memory().copyOut(0, 0x40000);
            assertThat(Arrays.mismatch(b, a)).as("first differing memory byte").isEqualTo(-1);
        }
    }

    @Example
    void theRandomProgramsDoGetTranslated() {
        Random rnd = new Random(1);
        int translated = 0;
        for (int i = 0; i < 20; i++) {
            Cpu jit = JitMachines.machine(program(rnd), CODE, 1);
            jit.setSeg(Cpu.DS, 0x2000);
            jit.setSeg(Cpu.SS, 0x3000);
            jit.memory().write16(COUNTER, 40);
            haltOnEveryInterrupt(jit);
            jit.run(2000);
            translated += jit.translatedBlocks();
        }
        assertThat(translated).isGreaterThan(40);
    }

    /** Every IVT vector points at a HLT (interrupts are off, so a fault, say #GP from a 32-bit offset, ends the run). */
    private static void haltOnEveryInterrupt(Cpu c) {
        c.memory().write8(HALT, 0xF4);
        for (int v = 0; v < 256; v++) {
            c.memory().write16(v * 4L, HALT);
            c.memory().write16(v * 4L + 2, 0);
        }
    }

    @Provide
    Arbitrary<byte[]> programs() {
        return Arbitraries.longs().map(seed -> program(new Random(seed)));
    }

    /** A loop of 1-24 random instructions, then DEC word CS:[COUNTER] / JNZ back to the start, then HLT. */
    static byte[] program(Random rnd) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int count = 1 + rnd.nextInt(24);
        byte[][] body = new byte[count][];
        for (int i = 0; i < count; i++) {
            body[i] = instruction(rnd);
        }
        for (int i = 0; i < count; i++) {
            byte[] in = body[i];
            if (in.length == 2 && in[0] == 0 && in[1] == 0) { // placeholder for a Jcc over the next instruction
                int skip = i + 1 < count && rnd.nextBoolean() ? body[i + 1].length : 0;
                in = new byte[] {(byte) (0x70 + rnd.nextInt(16)), (byte) skip};
            }
            out.writeBytes(in);
        }
        out.writeBytes(new byte[] {0x2E, (byte) 0xFF, 0x0E, (byte) COUNTER, (byte) (COUNTER >>> 8)}); // dec word cs:[COUNTER]
        int back = -(out.size() + 2);
        out.writeBytes(new byte[] {0x0F, (byte) 0x85, (byte) back, (byte) (back >>> 8)}); // jnz near start
        out.write(0xF4);
        return out.toByteArray();
    }

    private static byte[] instruction(Random rnd) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        boolean o32 = rnd.nextInt(4) == 0;
        if (o32) {
            b.write(0x66);
        }
        int kind = rnd.nextInt(29);
        switch (kind) {
            case 0, 1, 2, 3 -> { // ALU Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev / AL,Ib / eAX,Iv (ADC/SBB included)
                int form = rnd.nextInt(6);
                b.write(rnd.nextInt(8) << 3 | form);
                if (form < 4) {
                    modrm(rnd, b, rnd.nextInt(8));
                } else {
                    imm(rnd, b, form == 4 ? 1 : o32 ? 4 : 2);
                }
            }
            case 4, 5 -> { // 80/81/83 group
                int op = 0x80 + rnd.nextInt(4);
                b.write(op);
                modrm(rnd, b, rnd.nextInt(8));
                imm(rnd, b, op == 0x81 ? (o32 ? 4 : 2) : 1);
            }
            case 6 -> b.write(0x40 + rnd.nextInt(16)); // INC/DEC reg
            case 7 -> { // INC/DEC r/m
                b.write(0xFE + rnd.nextInt(2));
                modrm(rnd, b, rnd.nextInt(2));
            }
            case 8, 9 -> { // MOV r/m
                b.write(0x88 + rnd.nextInt(4));
                modrm(rnd, b, rnd.nextInt(8));
            }
            case 10 -> { // MOV reg, imm
                int op = 0xB0 + rnd.nextInt(16);
                b.write(op);
                imm(rnd, b, op < 0xB8 ? 1 : o32 ? 4 : 2);
            }
            case 11 -> { // LEA
                b.write(0x8D);
                memory(rnd, b, rnd.nextInt(8));
            }
            case 12 -> b.write(0x50 + rnd.nextInt(16)); // PUSH/POP
            case 13 -> { // TEST
                int op = rnd.nextInt(4);
                b.write(new int[] {0x84, 0x85, 0xA8, 0xA9}[op]);
                if (op < 2) {
                    modrm(rnd, b, rnd.nextInt(8));
                } else {
                    imm(rnd, b, op == 2 ? 1 : o32 ? 4 : 2);
                }
            }
            case 14 -> { // MOV r/m, imm
                int op = 0xC6 + rnd.nextInt(2);
                b.write(op);
                modrm(rnd, b, 0);
                imm(rnd, b, op == 0xC6 ? 1 : o32 ? 4 : 2);
            }
            case 15 -> { // Jcc over the next instruction: patched by program()
                return new byte[] {0, 0};
            }
            case 16 -> { // shifts and rotates by 1 or CL (via the interpreter)
                b.write(0xD0 + rnd.nextInt(4));
                modrm(rnd, b, rnd.nextInt(8));
            }
            case 17 -> b.write(new int[] {0xF5, 0xF8, 0xF9, 0x90, 0x91, 0x93, 0x98, 0x99}[rnd.nextInt(8)]);
            case 18 -> { // LOOP to the next instruction (decrements CX, never leaves the body)
                b.write(0xE2);
                b.write(0);
            }
            case 19 -> b.write(new int[] {0x9C, 0x9D, 0x9E, 0x9F, 0x27, 0x2F, 0xD7, 0x1E}[rnd.nextInt(8)]); // via interpreter
            case 20 -> { // group 3 (TEST/NOT/NEG/MUL/IMUL/DIV/IDIV; a divide error halts) and shifts by an immediate
                int op = new int[] {0xF6, 0xF7, 0xC0, 0xC1}[rnd.nextInt(4)];
                b.write(op);
                int reg = rnd.nextInt(8);
                modrm(rnd, b, reg);
                if (op >= 0xC0 || reg < 2) {
                    imm(rnd, b, op == 0xF7 && reg < 2 ? (o32 ? 4 : 2) : 1);
                }
            }
            case 21 -> { // MOVZX/MOVSX, SETcc, CMOVcc, BT, BSF/BSR, IMUL r, r/m
                b.write(0x0F);
                b.write(new int[] {0xB6, 0xB7, 0xBE, 0xBF, 0x90 + rnd.nextInt(16), 0x40 + rnd.nextInt(16), 0xA3, 0xBC,
                    0xBD, 0xAF}[rnd.nextInt(10)]);
                modrm(rnd, b, rnd.nextInt(8));
            }
            case 22 -> { // string instructions once
                b.write(new int[] {0xA4, 0xA5, 0xA6, 0xA7, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF}[rnd.nextInt(10)]);
            }
            case 23 -> { // MOV CX, small; REP/REPE/REPNE string instruction (ends the block: counts each iteration)
                b.reset();
                b.writeBytes(new byte[] {(byte) 0xB9, (byte) rnd.nextInt(40), 0, (byte) (rnd.nextBoolean() ? 0xF3 : 0xF2)});
                if (o32) {
                    b.write(0x66);
                }
                b.write(new int[] {0xA4, 0xA5, 0xA6, 0xA7, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF}[rnd.nextInt(10)]);
            }
            case 24 -> { // CALL to a RET behind a JMP over it: CALL and RET end their blocks
                b.reset();
                b.writeBytes(new byte[] {(byte) 0xE8, 2, 0, (byte) 0xEB, 1, (byte) 0xC3});
            }
            case 25 -> { // PUSH imm8 / imm16, IMUL r, r/m, imm
                int op = new int[] {0x6A, 0x68, 0x6B, 0x69}[rnd.nextInt(4)];
                b.write(op);
                if (op >= 0x69) {
                    modrm(rnd, b, rnd.nextInt(8));
                }
                imm(rnd, b, (op & 2) != 0 ? 1 : o32 ? 4 : 2);
            }
            case 26 -> { // MOV ES, r/m (ES changes under the block's later ES-overridden operands) after MOV AX, 0x2800+
                b.reset();
                b.writeBytes(new byte[] {(byte) 0xB8, 0, (byte) (0x28 + rnd.nextInt(4)), (byte) 0x8E, (byte) 0xC0});
            }
            case 27 -> { // MOV CX, small; an inner loop of one or two instructions that leave CX alone; LOOP back
                b.reset();
                byte[][] bodies = {{0x01, (byte) 0xD8}, {0x11, (byte) 0xF7}, {(byte) 0xD1, (byte) 0xE2},
                    {0x0F, (byte) 0xAF, (byte) 0xC3}, {(byte) 0x9C, (byte) 0x9D}, {(byte) 0xF8}, {0x31, (byte) 0xC6},
                    {0x72, 0x01, 0x40}, {0x4A}};
                byte[] body = bodies[rnd.nextInt(bodies.length)];
                b.writeBytes(new byte[] {(byte) 0xB9, (byte) (1 + rnd.nextInt(9)), 0});
                b.writeBytes(body);
                b.writeBytes(new byte[] {(byte) 0xE2, (byte) -(body.length + 2)});
            }
            default -> { // XCHG r/m (via the interpreter)
                b.write(0x86 + rnd.nextInt(2));
                modrm(rnd, b, rnd.nextInt(8));
            }
        }
        return b.toByteArray();
    }

    /** A ModR/M operand: a register (about half the time) or memory; {@code reg} is the reg field. */
    private static void modrm(Random rnd, ByteArrayOutputStream b, int reg) {
        if (rnd.nextBoolean()) {
            b.write(0xC0 | reg << 3 | rnd.nextInt(8));
        } else {
            memory(rnd, b, reg);
        }
    }

    /** A memory operand: 16-bit addressing with an optional ES/SS override, or (rarely) 32-bit with SIB. */
    private static void memory(Random rnd, ByteArrayOutputStream b, int reg) {
        byte[] prefix = rnd.nextInt(6) == 0 ? new byte[] {(byte) (rnd.nextBoolean() ? 0x26 : 0x36)} : new byte[0];
        boolean a32 = rnd.nextInt(8) == 0;
        byte[] body = b.toByteArray();
        b.reset();
        b.writeBytes(prefix);
        if (a32) {
            b.write(0x67);
        }
        b.writeBytes(body);
        int mod = rnd.nextInt(3), rm = rnd.nextInt(8);
        b.write(mod << 6 | reg << 3 | rm);
        if (a32) {
            int base = rm;
            if (rm == 4) {
                int sib = rnd.nextInt(256);
                b.write(sib);
                base = sib & 7;
            }
            if (mod == 1) {
                b.write(rnd.nextInt(256));
            } else if (mod == 2 || (mod == 0 && base == 5)) {
                imm(rnd, b, 4);
            }
        } else if (mod == 1) {
            b.write(rnd.nextInt(256));
        } else if (mod == 2 || (mod == 0 && rm == 6)) {
            imm(rnd, b, 2);
        }
    }

    private static void imm(Random rnd, ByteArrayOutputStream b, int bytes) {
        for (int i = 0; i < bytes; i++) {
            b.write(rnd.nextInt(256));
        }
    }
}
