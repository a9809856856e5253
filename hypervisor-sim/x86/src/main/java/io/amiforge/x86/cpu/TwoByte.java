package io.amiforge.x86.cpu;

import static io.amiforge.x86.cpu.Cpu.*;

/**
 * Dispatch of the two-byte (0F xx) opcodes, and of the decoder's pseudo-opcodes
 * ({@link Decoder#OP_BIOS}, {@link Decoder#OP_INVALID}).
 */
final class TwoByte {

    private TwoByte() {
    }

    static void exec(Exec x, int op) {
        if (op == Decoder.OP_BIOS) {
            Control.biosTrap(x);
            return;
        }
        if (op == Decoder.OP_INVALID) {
            x.fault(6);
            return;
        }
        int b = op & 0xFF;
        int sz = 1 + x.o32();
        switch (b) {
            case 0x00 -> SystemOps.group6(x);
            case 0x01 -> SystemOps.group7(x);
            case 0x06, 0x08, 0x09 -> {
            }
            case 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F -> {
            }
            case 0x20 -> SystemOps.movFromCr(x);
            case 0x22 -> SystemOps.movToCr(x, x.regField(), x.r[x.modrm() & 7]);
            case 0x21 -> x.r[x.modrm() & 7] = 0;
            case 0x23 -> {
            }
            case 0x30 -> {
            }
            case 0x31 -> SystemOps.rdtsc(x);
            case 0x32 -> SystemOps.rdmsr(x);
            case 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F -> {
                int v = x.readRM(sz);
                if (x.cond(b & 0xF)) {
                    x.setReg(sz, x.regField(), v);
                }
            }
            case 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8B, 0x8C, 0x8D, 0x8E, 0x8F -> {
                if (x.cond(b & 0xF)) {
                    Control.jumpRel(x, x.imm());
                }
            }
            case 0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F ->
                    x.writeRM(0, x.cond(b & 0xF) ? 1 : 0);
            case 0xA0 -> x.push(x.sr[FS]);
            case 0xA1 -> x.loadSeg(FS, x.pop());
            case 0xA2 -> SystemOps.cpuid(x);
            case 0xA8 -> x.push(x.sr[GS]);
            case 0xA9 -> x.loadSeg(GS, x.pop());
            case 0xA3, 0xAB, 0xB3, 0xBB -> Bits.bitOp(x, (b >>> 3) & 3, sz, x.getReg(sz, x.regField()), true);
            case 0xBA -> {
                if (x.regField() < 4) {
                    x.fault(6);
                }
                Bits.bitOp(x, x.regField() & 3, sz, x.imm(), false);
            }
            case 0xA4, 0xA5, 0xAC, 0xAD -> Shifts.doubleRM(x, b < 0xA8, (b & 1) != 0);
            case 0xAF -> x.setReg(sz, x.regField(), MulDiv.imul3(x, sz, x.getReg(sz, x.regField()), x.readRM(sz)));
            case 0xB0, 0xB1 -> Alu.cmpxchg(x, b == 0xB0 ? 0 : sz);
            case 0xB2, 0xB4, 0xB5 -> DataMove.loadFar(x, b == 0xB2 ? SS : b == 0xB4 ? FS : GS);
            case 0xB6 -> x.setReg(sz, x.regField(), x.readRM(0));
            case 0xB7 -> x.setReg(sz, x.regField(), x.readRM(1));
            case 0xBE -> x.setReg(sz, x.regField(), (byte) x.readRM(0));
            case 0xBF -> x.setReg(sz, x.regField(), (short) x.readRM(1));
            case 0xBC, 0xBD -> Bits.scan(x, b == 0xBC);
            case 0xC0, 0xC1 -> Alu.xadd(x, b == 0xC0 ? 0 : sz);
            case 0xC8, 0xC9, 0xCA, 0xCB, 0xCC, 0xCD, 0xCE, 0xCF -> x.r[b & 7] = Integer.reverseBytes(x.r[b & 7]);
            default -> x.fault(6);
        }
    }
}
