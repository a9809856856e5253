package io.amiforge.x86.cpu;

import static io.amiforge.x86.cpu.Cpu.*;

/**
 * Dispatch of the one-byte opcodes to their handlers. {@link #exec} holds the opcodes boot code
 * runs in loops (ALU forms, Jcc, MOV, PUSH/POP, INC/DEC, LOOP, CALL/JMP, strings) so the JIT
 * compiles it as one small-enough switch; {@link #execRare} has the rest.
 */
final class OneByte {

    private OneByte() {
    }

    static void exec(Exec x, int op) {
        switch (op) {
            case 0x00 -> Alu.addEbGb(x);
            case 0x01 -> Alu.addEvGv(x);
            case 0x02 -> Alu.addGbEb(x);
            case 0x03 -> Alu.addGvEv(x);
            case 0x04 -> Alu.addAlIb(x);
            case 0x05 -> Alu.addAxIv(x);
            case 0x08 -> Alu.orEbGb(x);
            case 0x09 -> Alu.orEvGv(x);
            case 0x0A -> Alu.orGbEb(x);
            case 0x0B -> Alu.orGvEv(x);
            case 0x0C -> Alu.orAlIb(x);
            case 0x0D -> Alu.orAxIv(x);
            case 0x10 -> Alu.adcEbGb(x);
            case 0x11 -> Alu.adcEvGv(x);
            case 0x12 -> Alu.adcGbEb(x);
            case 0x13 -> Alu.adcGvEv(x);
            case 0x14 -> Alu.adcAlIb(x);
            case 0x15 -> Alu.adcAxIv(x);
            case 0x18 -> Alu.sbbEbGb(x);
            case 0x19 -> Alu.sbbEvGv(x);
            case 0x1A -> Alu.sbbGbEb(x);
            case 0x1B -> Alu.sbbGvEv(x);
            case 0x1C -> Alu.sbbAlIb(x);
            case 0x1D -> Alu.sbbAxIv(x);
            case 0x20 -> Alu.andEbGb(x);
            case 0x21 -> Alu.andEvGv(x);
            case 0x22 -> Alu.andGbEb(x);
            case 0x23 -> Alu.andGvEv(x);
            case 0x24 -> Alu.andAlIb(x);
            case 0x25 -> Alu.andAxIv(x);
            case 0x28 -> Alu.subEbGb(x);
            case 0x29 -> Alu.subEvGv(x);
            case 0x2A -> Alu.subGbEb(x);
            case 0x2B -> Alu.subGvEv(x);
            case 0x2C -> Alu.subAlIb(x);
            case 0x2D -> Alu.subAxIv(x);
            case 0x30 -> Alu.xorEbGb(x);
            case 0x31 -> Alu.xorEvGv(x);
            case 0x32 -> Alu.xorGbEb(x);
            case 0x33 -> Alu.xorGvEv(x);
            case 0x34 -> Alu.xorAlIb(x);
            case 0x35 -> Alu.xorAxIv(x);
            case 0x38 -> Alu.cmpEbGb(x);
            case 0x39 -> Alu.cmpEvGv(x);
            case 0x3A -> Alu.cmpGbEb(x);
            case 0x3B -> Alu.cmpGvEv(x);
            case 0x3C -> Alu.cmpAlIb(x);
            case 0x3D -> Alu.cmpAxIv(x);
            case 0x06 -> x.push(x.sr[ES]);
            case 0x07 -> x.loadSeg(ES, x.pop());
            case 0x0E -> x.push(x.sr[CS]);
            case 0x16 -> x.push(x.sr[SS]);
            case 0x17 -> x.loadSeg(SS, x.pop());
            case 0x1E -> x.push(x.sr[DS]);
            case 0x1F -> x.loadSeg(DS, x.pop());
            case 0x27 -> Bcd.daa(x);
            case 0x2F -> Bcd.das(x);
            case 0x37 -> Bcd.aaa(x, false);
            case 0x3F -> Bcd.aaa(x, true);
            case 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47 -> Alu.incReg(x, op & 7, false);
            case 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F -> Alu.incReg(x, op & 7, true);
            case 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57 -> x.push(x.r[op & 7]);
            case 0x58, 0x59, 0x5A, 0x5B, 0x5C, 0x5D, 0x5E, 0x5F -> x.setReg(1 + x.o32(), op & 7, x.pop());
            case 0x74 -> {
                if (x.zfNow()) {
                    Control.jumpRel(x, x.imm());
                }
            }
            case 0x75 -> {
                if (!x.zfNow()) {
                    Control.jumpRel(x, x.imm());
                }
            }
            case 0x70, 0x71, 0x72, 0x73, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x7B, 0x7C, 0x7D, 0x7E, 0x7F -> {
                if (x.cond(op & 0xF)) {
                    Control.jumpRel(x, x.imm());
                }
            }
            case 0x80, 0x82 -> {
                int aop = x.regField();
                int res = Alu.alu(x, aop, 0, x.readRM(0), x.imm());
                if (aop != 7) {
                    x.writeRM(0, res);
                }
            }
            case 0x81, 0x83 -> {
                int aop = x.regField(), sz = 1 + x.o32();
                int res = Alu.alu(x, aop, sz, x.readRM(sz), x.imm());
                if (aop != 7) {
                    x.writeRM(sz, res);
                }
            }
            case 0x84 -> Alu.alu(x, 4, 0, x.readRM(0), x.reg8(x.regField()));
            case 0x85 -> Alu.alu(x, 4, 1 + x.o32(), x.readRM(1 + x.o32()), x.r[x.regField()]);
            case 0x88 -> x.writeRM(0, x.reg8(x.regField()));
            case 0x89 -> x.writeRM(1 + x.o32(), x.r[x.regField()]);
            case 0x8A -> x.setReg8(x.regField(), x.readRM(0));
            case 0x8B -> x.setReg(1 + x.o32(), x.regField(), x.readRM(1 + x.o32()));
            case 0x8D -> {
                if (x.modrm() >= 0xC0) {
                    x.fault(6);
                }
                x.setReg(1 + x.o32(), x.regField(), x.eaOff);
            }
            case 0x8E -> {
                int s = x.regField();
                if (s == CS || s > 5) {
                    x.fault(6);
                }
                x.loadSeg(s, x.readRM(1));
            }
            case 0x90 -> {
            }
            case 0xA4, 0xA5, 0xA6, 0xA7, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF -> Strings.string(x, op);
            case 0xB0, 0xB1, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7 -> x.setReg8(op & 7, x.imm());
            case 0xB8, 0xB9, 0xBA, 0xBB, 0xBC, 0xBD, 0xBE, 0xBF -> x.setReg(1 + x.o32(), op & 7, x.imm());
            case 0xC3 -> x.ip = x.pop();
            case 0xCD -> Control.interrupt(x, x.imm(), x.ip);
            case 0xE2 -> {
                if (x.a32() == 0) {
                    int cx = (x.r[ECX] - 1) & 0xFFFF;
                    x.r[ECX] = (x.r[ECX] & 0xFFFF0000) | cx;
                    if (cx != 0) {
                        Control.jumpRel(x, x.imm());
                    }
                } else {
                    Control.loop(x, op);
                }
            }
            case 0xE8 -> {
                x.push(x.ip);
                Control.jumpRel(x, x.imm());
            }
            case 0xE9, 0xEB -> Control.jumpRel(x, x.imm());
            case 0xF6 -> MulDiv.group3(x, 0);
            case 0xF7 -> MulDiv.group3(x, 1 + x.o32());
            case 0xFE -> {
                int f = x.regField();
                if (f > 1) {
                    x.fault(6);
                }
                x.writeRM(0, Alu.incDec(x, 0, x.readRM(0), f == 1));
            }
            case 0xFF -> Control.group5(x);
            default -> execRare(x, op);
        }
    }

    /** The one-byte opcodes a loop rarely runs, kept apart so the hot switch stays small. */
    static void execRare(Exec x, int op) {
        switch (op) {
            case 0x60 -> DataMove.pusha(x);
            case 0x61 -> DataMove.popa(x);
            case 0x62 -> Control.bound(x);
            case 0x68, 0x6A -> x.push(x.imm());
            case 0x69, 0x6B -> {
                int sz = 1 + x.o32();
                x.setReg(sz, x.regField(), MulDiv.imul3(x, sz, x.readRM(sz), x.imm()));
            }
            case 0x6C, 0x6D, 0x6E, 0x6F -> Strings.stringIo(x, op);
            case 0x86 -> DataMove.xchgRM(x, 0);
            case 0x87 -> DataMove.xchgRM(x, 1 + x.o32());
            case 0x8C -> DataMove.movFromSeg(x);
            case 0x8F -> DataMove.popRM(x);
            case 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97 -> DataMove.xchgAx(x, op & 7);
            case 0x98 -> DataMove.cbw(x);
            case 0x99 -> DataMove.cwd(x);
            case 0x9A -> Control.callFar(x);
            case 0x9B -> {
            }
            case 0x9C -> FlagOps.pushf(x);
            case 0x9D -> FlagOps.popf(x);
            case 0x9E -> FlagOps.sahf(x);
            case 0x9F -> FlagOps.lahf(x);
            case 0xA0, 0xA1, 0xA2, 0xA3 -> DataMove.movMoffs(x, op);
            case 0xA8 -> Alu.alu(x, 4, 0, x.r[EAX], x.imm());
            case 0xA9 -> Alu.alu(x, 4, 1 + x.o32(), x.r[EAX], x.imm());
            case 0xC0, 0xC1, 0xD0, 0xD1, 0xD2, 0xD3 -> Shifts.group2(x, op);
            case 0xC2 -> Control.retNear(x, x.imm());
            case 0xC4, 0xC5 -> DataMove.loadFar(x, op == 0xC4 ? ES : DS);
            case 0xC6 -> x.writeRM(0, x.imm());
            case 0xC7 -> x.writeRM(1 + x.o32(), x.imm());
            case 0xC8 -> Control.enter(x);
            case 0xC9 -> Control.leave(x);
            case 0xCA -> Control.retFar(x, x.imm());
            case 0xCB -> Control.retFar(x, 0);
            case 0xCC -> Control.interrupt(x, 3, x.ip);
            case 0xCE -> {
                if (x.ofNow() != 0) {
                    Control.interrupt(x, 4, x.ip);
                }
            }
            case 0xCF -> Control.iret(x);
            case 0xD4 -> Bcd.aam(x);
            case 0xD5 -> Bcd.aad(x);
            case 0xD6 -> FlagOps.salc(x);
            case 0xD7 -> DataMove.xlat(x);
            case 0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF -> {
                // no FPU: escape opcodes do nothing
            }
            case 0xE0, 0xE1 -> Control.loop(x, op);
            case 0xE3 -> Control.jcxz(x);
            case 0xE4, 0xE5 -> SystemOps.in(x, x.imm(), op & 1);
            case 0xE6, 0xE7 -> SystemOps.out(x, x.imm(), op & 1);
            case 0xEA -> Control.farJump(x, x.imm2(), x.imm());
            case 0xEC, 0xED -> SystemOps.in(x, x.r[EDX] & 0xFFFF, op & 1);
            case 0xEE, 0xEF -> SystemOps.out(x, x.r[EDX] & 0xFFFF, op & 1);
            case 0xF4 -> SystemOps.hlt(x);
            case 0xF5, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC, 0xFD -> FlagOps.setClear(x, op);
            default -> x.fault(6);
        }
    }
}
