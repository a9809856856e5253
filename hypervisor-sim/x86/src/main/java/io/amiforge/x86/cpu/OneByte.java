package io.amiforge.x86.cpu;

import static io.amiforge.x86.cpu.Cpu.*;
import static io.amiforge.x86.cpu.CpuState.*;

/**
 * OneByte
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
            case 0x07 -> x.s.setSeg(ES, x.pop());
            case 0x0E -> x.push(x.sr[CS]);
            case 0x16 -> x.push(x.sr[SS]);
            case 0x17 -> x.s.setSeg(SS, x.pop());
            case 0x1E -> x.push(x.sr[DS]);
            case 0x1F -> x.s.setSeg(DS, x.pop());
            case 0x27 -> Bcd.daa(x);
            case 0x2F -> Bcd.das(x);
            case 0x37 -> Bcd.aaa(x, false);
            case 0x3F -> Bcd.aaa(x, true);
            case 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47 -> Alu.incReg(x, op & 7, false);
            case 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F -> Alu.incReg(x, op & 7, true);
            case 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57 -> x.push(x.r[op & 7]);
            case 0x58, 0x59, 0x5A, 0x5B, 0x5C, 0x5D, 0x5E, 0x5F -> x.s.setReg(1 + x.o32(), op & 7, x.pop());
            case 0x74 -> {
                if (x.s.zfNow()) {
                    Control.jumpRel(x, x.imm());
                }
            }
            case 0x75 -> {
                if (!x.s.zfNow()) {
                    Control.jumpRel(x, x.imm());
                }
            }
            case 0x70, 0x71, 0x72, 0x73, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x7B, 0x7C, 0x7D, 0x7E, 0x7F -> {
                if (x.s.cond(op & 0xF)) {
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
            case 0x84 -> Alu.alu(x, 4, 0, x.readRM(0), x.s.reg8(x.regField()));
            case 0x85 -> Alu.alu(x, 4, 1 + x.o32(), x.readRM(1 + x.o32()), x.r[x.regField()]);
            case 0x88 -> x.writeRM(0, x.s.reg8(x.regField()));
            case 0x89 -> x.writeRM(1 + x.o32(), x.r[x.regField()]);
            case 0x8A -> x.s.setReg8(x.regField(), x.readRM(0));
            case 0x8B -> x.s.setReg(1 + x.o32(), x.regField(), x.readRM(1 + x.o32()));
            case 0x8D -> {
                if (x.modrm() >= 0xC0) {
                    x.fault(6);
                }
                x.s.setReg(1 + x.o32(), x.regField(), x.eaOff);
            }
            case 0x8E -> {
                int s = x.regField();
                if (s == CS || s > 5) {
                    x.fault(6);
                }
                x.s.setSeg(s, x.readRM(1));
            }
            case 0x90 -> {
            }
            case 0xA4, 0xA5, 0xA6, 0xA7, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF -> Strings.string(x, op);
            case 0xB0, 0xB1, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7 -> x.s.setReg8(op & 7, x.imm());
            case 0xB8, 0xB9, 0xBA, 0xBB, 0xBC, 0xBD, 0xBE, 0xBF -> x.s.setReg(1 + x.o32(), op & 7, x.imm());
            case 0xC3 -> x.s.ip = x.pop() & 0xFFFF;
            case 0xCD -> Control.interrupt(x, x.imm(), x.s.ip);
            case 0xE2 -> {
                if (x.a32() == 0) {
                    int cx = (x.r[ECX] - 1) & 0xFFFF;
                    x.r[ECX] = (x.r[ECX] & 0xFFFF0000) | cx;
                    if (cx != 0) {
                        x.s.ip = (x.s.ip + x.imm()) & 0xFFFF;
                    }
                } else {
                    Control.loop(x, op);
                }
            }
            case 0xE8 -> {
                x.push(x.s.ip);
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

    static void execRare(Exec x, int op) {
        switch (op) {
            case 0x60 -> DataMove.pusha(x);
            case 0x61 -> DataMove.popa(x);
            case 0x62 -> Control.bound(x);
            case 0x68, 0x6A -> x.push(x.imm());
            case 0x69, 0x6B -> {
                int sz = 1 + x.o32();
                x.s.setReg(sz, x.regField(), MulDiv.imul3(x, sz, x.readRM(sz), x.imm()));
            }
            case 0x6C, 0x6D, 0x6E, 0x6F -> Strings.stringIo(x, op);
            case 0x86 -> {
                int a = x.readRM(0);
                x.writeRM(0, x.s.reg8(x.regField()));
                x.s.setReg8(x.regField(), a);
            }
            case 0x87 -> {
                int sz = 1 + x.o32();
                int a = x.readRM(sz);
                x.writeRM(sz, x.s.getReg(sz, x.regField()));
                x.s.setReg(sz, x.regField(), a);
            }
            case 0x8C -> {
                if (x.regField() > 5) {
                    x.fault(6);
                }
                x.writeRM(x.modrm() >= 0xC0 ? 1 + x.o32() : 1, x.sr[x.regField()]);
            }
            case 0x8F -> {
                int v = x.pop();
                if (x.modrm() < 0xC0 && x.a32() == 1 && (x.modrm() & 7) == 4) {
                    x.ea();
                    if ((x.eaOff & 0xFFFF0000) != 0) {
                        x.fault(13);
                    }
                }
                x.writeRM(1 + x.o32(), v);
            }
            case 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97 -> {
                int sz = 1 + x.o32();
                int a = x.s.getReg(sz, op & 7);
                x.s.setReg(sz, op & 7, x.s.getReg(sz, EAX));
                x.s.setReg(sz, EAX, a);
            }
            case 0x98 -> {
                if (x.o32() == 1) {
                    x.r[EAX] = (short) x.r[EAX];
                } else {
                    x.s.setReg(1, EAX, (byte) x.r[EAX]);
                }
            }
            case 0x99 -> {
                if (x.o32() == 1) {
                    x.r[EDX] = x.r[EAX] >> 31;
                } else {
                    x.s.setReg(1, EDX, ((short) x.r[EAX]) >> 15);
                }
            }
            case 0x9A -> {
                x.push(x.sr[CS]);
                x.push(x.s.ip);
                Control.farJump(x, x.imm2(), x.imm());
            }
            case 0x9B -> {
            }
            case 0x9C -> {
                int f = x.s.flagsValue();
                if (x.o32() == 1) {
                    x.push32(f & 0x00FCFFFF);
                } else {
                    x.push16(f);
                }
            }
            case 0x9D -> {
                if (x.o32() == 1) {
                    x.s.setFlags((x.pop32() & 0x00247FD5) | (x.s.flags & 0x1A0000));
                } else {
                    x.s.setFlags((x.s.flags & 0xFFFF0000) | x.pop16());
                }
            }
            case 0x9E -> x.s.flags = (x.s.flagsValue() & ~(CF | PF | AF | ZF | SF)) | (x.s.reg8(4) & (CF | PF | AF | ZF | SF)) | 2;
            case 0x9F -> x.s.setReg8(4, (x.s.flagsValue() & 0xD5) | 2);
            case 0xA0, 0xA1, 0xA2, 0xA3 -> {
                int sz = (op & 1) == 0 ? 0 : 1 + x.o32();
                if (x.a32() == 1 && (x.disp() & 0xFFFF0000) != 0) {
                    x.fault(13);
                }
                if (op < 0xA2) {
                    x.s.setReg(sz, EAX, x.bus.rd(sz, x.dataSeg(), x.disp()));
                } else {
                    x.bus.wr(sz, x.dataSeg(), x.disp(), x.r[EAX]);
                }
            }
            case 0xA8 -> Alu.alu(x, 4, 0, x.r[EAX], x.imm());
            case 0xA9 -> Alu.alu(x, 4, 1 + x.o32(), x.r[EAX], x.imm());
            case 0xC0 -> x.writeRM(0, Shifts.shift(x, x.regField(), 0, x.readRM(0), x.imm()));
            case 0xC1 -> x.writeRM(1 + x.o32(), Shifts.shift(x, x.regField(), 1 + x.o32(), x.readRM(1 + x.o32()), x.imm()));
            case 0xC2 -> {
                x.s.ip = x.pop() & 0xFFFF;
                x.r[ESP] = (x.r[ESP] & 0xFFFF0000) | ((x.r[ESP] + x.imm()) & 0xFFFF);
            }
            case 0xC4, 0xC5 -> DataMove.loadFar(x, op == 0xC4 ? ES : DS);
            case 0xC6 -> x.writeRM(0, x.imm());
            case 0xC7 -> x.writeRM(1 + x.o32(), x.imm());
            case 0xC8 -> Control.enter(x);
            case 0xC9 -> {
                x.r[ESP] = (x.r[ESP] & 0xFFFF0000) | (x.r[EBP] & 0xFFFF);
                x.s.setReg(1 + x.o32(), EBP, x.pop());
            }
            case 0xCA, 0xCB -> {
                int nip = x.pop();
                int ncs = x.pop();
                Control.farJump(x, ncs, nip);
                if (op == 0xCA) {
                    x.r[ESP] = (x.r[ESP] & 0xFFFF0000) | ((x.r[ESP] + x.imm()) & 0xFFFF);
                }
            }
            case 0xCC -> Control.interrupt(x, 3, x.s.ip);
            case 0xCE -> {
                if (x.s.ofNow() != 0) {
                    Control.interrupt(x, 4, x.s.ip);
                }
            }
            case 0xCF -> Control.iret(x);
            case 0xD0 -> x.writeRM(0, Shifts.shift(x, x.regField(), 0, x.readRM(0), 1));
            case 0xD1 -> x.writeRM(1 + x.o32(), Shifts.shift(x, x.regField(), 1 + x.o32(), x.readRM(1 + x.o32()), 1));
            case 0xD2 -> x.writeRM(0, Shifts.shift(x, x.regField(), 0, x.readRM(0), x.r[ECX] & 0xFF));
            case 0xD3 -> x.writeRM(1 + x.o32(), Shifts.shift(x, x.regField(), 1 + x.o32(), x.readRM(1 + x.o32()), x.r[ECX] & 0xFF));
            case 0xD4 -> Bcd.aam(x);
            case 0xD5 -> {
                int al = (x.s.reg8(0) + x.s.reg8(4) * x.imm()) & 0xFF;
                x.s.setReg(1, EAX, al);
                x.s.lazy(L_LOGIC, 0, al, 0, al);
            }
            case 0xD6 -> x.s.setReg8(0, x.s.cfNow() != 0 ? 0xFF : 0);
            case 0xD7 -> {
                int off = x.a32() == 1 ? x.r[EBX] + x.s.reg8(0) : (x.r[EBX] + x.s.reg8(0)) & 0xFFFF;
                x.s.setReg8(0, x.bus.rd8(x.dataSeg(), off));
            }
            case 0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF -> {
                // no FPU: escape opcodes do nothing
            }
            case 0xE0, 0xE1 -> Control.loop(x, op);
            case 0xE3 -> {
                if ((x.a32() == 1 ? x.r[ECX] : x.r[ECX] & 0xFFFF) == 0) {
                    Control.jumpRel(x, x.imm());
                }
            }
            case 0xE4 -> x.s.setReg8(0, x.host.in(x.imm(), 1));
            case 0xE5 -> x.s.setReg(1 + x.o32(), EAX, x.host.in(x.imm(), 2 + 2 * x.o32()));
            case 0xE6 -> x.host.out(x.imm(), 1, x.r[EAX] & 0xFF);
            case 0xE7 -> x.host.out(x.imm(), 2 + 2 * x.o32(), x.s.getReg(1 + x.o32(), EAX));
            case 0xEA -> Control.farJump(x, x.imm2(), x.imm());
            case 0xEC -> x.s.setReg8(0, x.host.in(x.r[EDX] & 0xFFFF, 1));
            case 0xED -> x.s.setReg(1 + x.o32(), EAX, x.host.in(x.r[EDX] & 0xFFFF, 2 + 2 * x.o32()));
            case 0xEE -> x.host.out(x.r[EDX] & 0xFFFF, 1, x.r[EAX] & 0xFF);
            case 0xEF -> x.host.out(x.r[EDX] & 0xFFFF, 2 + 2 * x.o32(), x.s.getReg(1 + x.o32(), EAX));
            case 0xF4 -> SystemOps.hlt(x);
            case 0xF5 -> x.s.flags = x.s.flagsValue() ^ CF;
            case 0xF8 -> x.s.flags = x.s.flagsValue() & ~CF;
            case 0xF9 -> x.s.flags = x.s.flagsValue() | CF;
            case 0xFA -> x.s.flags &= ~IF;
            case 0xFB -> x.s.flags |= IF;
            case 0xFC -> x.s.flags &= ~DF;
            case 0xFD -> x.s.flags |= DF;
            default -> x.fault(6);
        }
    }
}
