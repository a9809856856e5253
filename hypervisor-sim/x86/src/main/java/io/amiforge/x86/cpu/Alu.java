package io.amiforge.x86.cpu;

import static io.amiforge.x86.cpu.Cpu.*;
import static io.amiforge.x86.cpu.CpuState.*;

/**
 * ALU
 */
final class Alu {

    private Alu() {
    }

    /** op: 0 ADD, 1 OR, 2 ADC, 3 SBB, 4 AND, 5 SUB, 6 XOR, 7 CMP. Returns the result. */
    static int alu(Exec x, int op, int sz, int d, int s) {
        int m = mask(sz);
        d &= m;
        s &= m;
        int res;
        switch (op) {
            case 0 -> {
                res = d + s;
                x.s.lazy(L_ADD, sz, d, s, res);
            }
            case 1 -> {
                res = d | s;
                x.s.lazy(L_LOGIC, sz, d, s, res);
            }
            case 2 -> {
                res = d + s + x.s.cfNow();
                x.s.lazy(L_ADD, sz, d, s, res);
            }
            case 3 -> {
                res = d - s - x.s.cfNow();
                x.s.lazy(L_SUB, sz, d, s, res);
            }
            case 4 -> {
                res = d & s;
                x.s.lazy(L_LOGIC, sz, d, s, res);
            }
            case 6 -> {
                res = d ^ s;
                x.s.lazy(L_LOGIC, sz, d, s, res);
            }
            default -> {
                res = d - s;
                x.s.lazy(L_SUB, sz, d, s, res);
            }
        }
        return res & m;
    }

    static void aluEbGb(Exec x, int aop) {
        int res = alu(x, aop, 0, x.readRM(0), x.s.reg8(x.regField()));
        if (aop != 7) {
            x.writeRM(0, res);
        }
    }

    static void aluEvGv(Exec x, int aop) {
        int sz = 1 + x.o32();
        int res = alu(x, aop, sz, x.readRM(sz), x.r[x.regField()]);
        if (aop != 7) {
            x.writeRM(sz, res);
        }
    }

    static void aluGbEb(Exec x, int aop) {
        int res = alu(x, aop, 0, x.s.reg8(x.regField()), x.readRM(0));
        if (aop != 7) {
            x.s.setReg8(x.regField(), res);
        }
    }

    static void aluGvEv(Exec x, int aop) {
        int sz = 1 + x.o32();
        int res = alu(x, aop, sz, x.r[x.regField()], x.readRM(sz));
        if (aop != 7) {
            x.s.setReg(sz, x.regField(), res);
        }
    }

    static void aluAlIb(Exec x, int aop) {
        int res = alu(x, aop, 0, x.r[EAX], x.imm());
        if (aop != 7) {
            x.s.setReg8(0, res);
        }
    }

    static void aluAxIv(Exec x, int aop) {
        int sz = 1 + x.o32();
        int res = alu(x, aop, sz, x.r[EAX], x.imm());
        if (aop != 7) {
            x.s.setReg(sz, EAX, res);
        }
    }

    /** INC/DEC of a general register; the 16-bit form inline. */
    static void incReg(Exec x, int i, boolean dec) {
        if (x.o32() == 0) {
            int v = x.r[i] & 0xFFFF;
            x.s.flags = (x.s.flags & ~CF) | x.s.cfNow();
            int res = (dec ? v - 1 : v + 1) & 0xFFFF;
            x.s.lop = dec ? L_DEC : L_INC;
            x.s.lmsb = 15;
            x.s.ldst = v;
            x.s.lsrc = 1;
            x.s.lres = res;
            x.r[i] = (x.r[i] & 0xFFFF0000) | res;
        } else {
            x.r[i] = incDec(x, 2, x.r[i], dec);
        }
    }

    static int incDec(Exec x, int sz, int v, boolean dec) {
        int cf = x.s.cfNow();
        x.s.flags = (x.s.flags & ~CF) | cf;
        int m = mask(sz);
        v &= m;
        int res = dec ? v - 1 : v + 1;
        x.s.lazy(dec ? L_DEC : L_INC, sz, v, 1, res);
        return res & m;
    }
}
