package io.amiforge.x86.cpu;

import static io.amiforge.x86.cpu.Cpu.*;

/**
 * Data movement that is more than a one-line MOV: XCHG, MOV to/from a segment register or a
 * direct offset, POP Ev, CBW/CWD, XLAT, LDS/LES/LSS/LFS/LGS, PUSHA/POPA.
 */
final class DataMove {

    private DataMove() {
    }

    static void loadFar(Exec x, int seg) {
        if (x.modrm() >= 0xC0) {
            x.fault(6);
        }
        int sz = 1 + x.o32();
        int off = Bus.rd(x, sz, x.eaBase, x.eaOff);
        int s = Bus.rd16(x, x.eaBase, x.eaNext(2 + 2 * x.o32()));
        x.loadSeg(seg, s);
        x.setReg(sz, x.regField(), off);
    }

    static void pusha(Exec x) {
        int sp = x.r[ESP];
        for (int i = 0; i < 8; i++) {
            x.push(i == ESP ? sp : x.r[i]);
        }
    }

    static void popa(Exec x) {
        for (int i = 7; i >= 0; i--) {
            int v = x.pop();
            if (i != ESP) {
                x.setReg(1 + x.o32(), i, v);
            }
        }
    }

    /** XCHG Eb,Gb / Ev,Gv. */
    static void xchgRM(Exec x, int sz) {
        int a = x.readRM(sz);
        x.writeRM(sz, x.getReg(sz, x.regField()));
        x.setReg(sz, x.regField(), a);
    }

    /** XCHG eAX with general register {@code reg}. */
    static void xchgAx(Exec x, int reg) {
        int sz = 1 + x.o32();
        int a = x.getReg(sz, reg);
        x.setReg(sz, reg, x.getReg(sz, EAX));
        x.setReg(sz, EAX, a);
    }

    /** MOV Ev,Sreg: a register destination takes the operand size, memory always a word. */
    static void movFromSeg(Exec x) {
        if (x.regField() > 5) {
            x.fault(6);
        }
        x.writeRM(x.modrm() >= 0xC0 ? 1 + x.o32() : 1, x.sr[x.regField()]);
    }

    /** POP Ev: an ESP-based address is computed after the pop, as the 386 does. */
    static void popRM(Exec x) {
        int v = x.pop();
        if (x.modrm() < 0xC0 && x.a32() == 1 && (x.modrm() & 7) == 4) {
            x.ea();
            if (Integer.compareUnsigned(x.eaOff, x.eaLim) > 0) {
                x.fault(13);
            }
        }
        x.writeRM(1 + x.o32(), v);
    }

    /** CBW / CWDE. */
    static void cbw(Exec x) {
        if (x.o32() == 1) {
            x.r[EAX] = (short) x.r[EAX];
        } else {
            x.setReg(1, EAX, (byte) x.r[EAX]);
        }
    }

    /** CWD / CDQ. */
    static void cwd(Exec x) {
        if (x.o32() == 1) {
            x.r[EDX] = x.r[EAX] >> 31;
        } else {
            x.setReg(1, EDX, ((short) x.r[EAX]) >> 15);
        }
    }

    /** MOV AL/eAX to or from a direct offset (A0-A3). */
    static void movMoffs(Exec x, int op) {
        int sz = (op & 1) == 0 ? 0 : 1 + x.o32();
        int seg = x.segOv() != 0 ? x.segOv() - 1 : DS;
        if (x.a32() == 1 && Integer.compareUnsigned(x.disp(), x.slim[seg]) > 0) {
            x.fault(13);
        }
        if (op < 0xA2) {
            x.setReg(sz, EAX, Bus.rd(x, sz, x.dataSeg(), x.disp()));
        } else {
            Bus.wr(x, sz, x.dataSeg(), x.disp(), x.r[EAX]);
        }
    }

    /** XLAT: AL = [seg:eBX + AL]. */
    static void xlat(Exec x) {
        int off = x.a32() == 1 ? x.r[EBX] + x.reg8(0) : (x.r[EBX] + x.reg8(0)) & 0xFFFF;
        x.setReg8(0, Bus.rd8(x, x.dataSeg(), off));
    }
}
