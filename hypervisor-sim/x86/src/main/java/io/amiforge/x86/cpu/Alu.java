package io.amiforge.x86.cpu;

import static io.amiforge.x86.cpu.Cpu.*;
import static io.amiforge.x86.cpu.CpuState.*;

/**
 * The arithmetic and logic group: ADD OR ADC SBB AND SUB XOR CMP in all six operand forms,
 * INC/DEC, CMPXCHG and XADD. Results set the flags lazily ({@link CpuState#lazy}).
 *
 * <p>One small handler per opcode form ({@code addEvGv}, {@code xorEvGv}, ...) rather than one
 * taking the operation as an argument: the JIT compiles each with its operation constant, and
 * when the dispatch switch does not inline a handler it still calls a specialised body.
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
                x.lazy(L_ADD, sz, d, s, res);
            }
            case 1 -> {
                res = d | s;
                x.lazy(L_LOGIC, sz, d, s, res);
            }
            case 2 -> {
                res = d + s + x.cfNow();
                x.lazy(L_ADD, sz, d, s, res);
            }
            case 3 -> {
                res = d - s - x.cfNow();
                x.lazy(L_SUB, sz, d, s, res);
            }
            case 4 -> {
                res = d & s;
                x.lazy(L_LOGIC, sz, d, s, res);
            }
            case 6 -> {
                res = d ^ s;
                x.lazy(L_LOGIC, sz, d, s, res);
            }
            default -> {
                res = d - s;
                x.lazy(L_SUB, sz, d, s, res);
            }
        }
        return res & m;
    }

    static void addEbGb(Exec x) {
        int res = alu(x, 0, 0, x.readRM(0), x.reg8(x.regField()));
        x.writeRM(0, res);
    }

    static void addEvGv(Exec x) {
        int sz = 1 + x.o32();
        int res = alu(x, 0, sz, x.readRM(sz), x.r[x.regField()]);
        x.writeRM(sz, res);
    }

    static void addGbEb(Exec x) {
        int res = alu(x, 0, 0, x.reg8(x.regField()), x.readRM(0));
        x.setReg8(x.regField(), res);
    }

    static void addGvEv(Exec x) {
        int sz = 1 + x.o32();
        int res = alu(x, 0, sz, x.r[x.regField()], x.readRM(sz));
        x.setReg(sz, x.regField(), res);
    }

    static void addAlIb(Exec x) {
        int res = alu(x, 0, 0, x.r[EAX], x.imm());
        x.setReg8(0, res);
    }

    static void addAxIv(Exec x) {
        int sz = 1 + x.o32();
        int res = alu(x, 0, sz, x.r[EAX], x.imm());
        x.setReg(sz, EAX, res);
    }

    static void orEbGb(Exec x) {
        int res = alu(x, 1, 0, x.readRM(0), x.reg8(x.regField()));
        x.writeRM(0, res);
    }

    static void orEvGv(Exec x) {
        int sz = 1 + x.o32();
        int res = alu(x, 1, sz, x.readRM(sz), x.r[x.regField()]);
        x.writeRM(sz, res);
    }

    static void orGbEb(Exec x) {
        int res = alu(x, 1, 0, x.reg8(x.regField()), x.readRM(0));
        x.setReg8(x.regField(), res);
    }

    static void orGvEv(Exec x) {
        int sz = 1 + x.o32();
        int res = alu(x, 1, sz, x.r[x.regField()], x.readRM(sz));
        x.setReg(sz, x.regField(), res);
    }

    static void orAlIb(Exec x) {
        int res = alu(x, 1, 0, x.r[EAX], x.imm());
        x.setReg8(0, res);
    }

    static void orAxIv(Exec x) {
        int sz = 1 + x.o32();
        int res = alu(x, 1, sz, x.r[EAX], x.imm());
        x.setReg(sz, EAX, res);
    }

    static void adcEbGb(Exec x) {
        int res = alu(x, 2, 0, x.readRM(0), x.reg8(x.regField()));
        x.writeRM(0, res);
    }

    static void adcEvGv(Exec x) {
        int sz = 1 + x.o32();
        int res = alu(x, 2, sz, x.readRM(sz), x.r[x.regField()]);
        x.writeRM(sz, res);
    }

    static void adcGbEb(Exec x) {
        int res = alu(x, 2, 0, x.reg8(x.regField()), x.readRM(0));
        x.setReg8(x.regField(), res);
    }

    static void adcGvEv(Exec x) {
        int sz = 1 + x.o32();
        int res = alu(x, 2, sz, x.r[x.regField()], x.readRM(sz));
        x.setReg(sz, x.regField(), res);
    }

    static void adcAlIb(Exec x) {
        int res = alu(x, 2, 0, x.r[EAX], x.imm());
        x.setReg8(0, res);
    }

    static void adcAxIv(Exec x) {
        int sz = 1 + x.o32();
        int res = alu(x, 2, sz, x.r[EAX], x.imm());
        x.setReg(sz, EAX, res);
    }

    static void sbbEbGb(Exec x) {
        int res = alu(x, 3, 0, x.readRM(0), x.reg8(x.regField()));
        x.writeRM(0, res);
    }

    static void sbbEvGv(Exec x) {
        int sz = 1 + x.o32();
        int res = alu(x, 3, sz, x.readRM(sz), x.r[x.regField()]);
        x.writeRM(sz, res);
    }

    static void sbbGbEb(Exec x) {
        int res = alu(x, 3, 0, x.reg8(x.regField()), x.readRM(0));
        x.setReg8(x.regField(), res);
    }

    static void sbbGvEv(Exec x) {
        int sz = 1 + x.o32();
        int res = alu(x, 3, sz, x.r[x.regField()], x.readRM(sz));
        x.setReg(sz, x.regField(), res);
    }

    static void sbbAlIb(Exec x) {
        int res = alu(x, 3, 0, x.r[EAX], x.imm());
        x.setReg8(0, res);
    }

    static void sbbAxIv(Exec x) {
        int sz = 1 + x.o32();
        int res = alu(x, 3, sz, x.r[EAX], x.imm());
        x.setReg(sz, EAX, res);
    }

    static void andEbGb(Exec x) {
        int res = alu(x, 4, 0, x.readRM(0), x.reg8(x.regField()));
        x.writeRM(0, res);
    }

    static void andEvGv(Exec x) {
        int sz = 1 + x.o32();
        int res = alu(x, 4, sz, x.readRM(sz), x.r[x.regField()]);
        x.writeRM(sz, res);
    }

    static void andGbEb(Exec x) {
        int res = alu(x, 4, 0, x.reg8(x.regField()), x.readRM(0));
        x.setReg8(x.regField(), res);
    }

    static void andGvEv(Exec x) {
        int sz = 1 + x.o32();
        int res = alu(x, 4, sz, x.r[x.regField()], x.readRM(sz));
        x.setReg(sz, x.regField(), res);
    }

    static void andAlIb(Exec x) {
        int res = alu(x, 4, 0, x.r[EAX], x.imm());
        x.setReg8(0, res);
    }

    static void andAxIv(Exec x) {
        int sz = 1 + x.o32();
        int res = alu(x, 4, sz, x.r[EAX], x.imm());
        x.setReg(sz, EAX, res);
    }

    static void subEbGb(Exec x) {
        int res = alu(x, 5, 0, x.readRM(0), x.reg8(x.regField()));
        x.writeRM(0, res);
    }

    static void subEvGv(Exec x) {
        int sz = 1 + x.o32();
        int res = alu(x, 5, sz, x.readRM(sz), x.r[x.regField()]);
        x.writeRM(sz, res);
    }

    static void subGbEb(Exec x) {
        int res = alu(x, 5, 0, x.reg8(x.regField()), x.readRM(0));
        x.setReg8(x.regField(), res);
    }

    static void subGvEv(Exec x) {
        int sz = 1 + x.o32();
        int res = alu(x, 5, sz, x.r[x.regField()], x.readRM(sz));
        x.setReg(sz, x.regField(), res);
    }

    static void subAlIb(Exec x) {
        int res = alu(x, 5, 0, x.r[EAX], x.imm());
        x.setReg8(0, res);
    }

    static void subAxIv(Exec x) {
        int sz = 1 + x.o32();
        int res = alu(x, 5, sz, x.r[EAX], x.imm());
        x.setReg(sz, EAX, res);
    }

    static void xorEbGb(Exec x) {
        int res = alu(x, 6, 0, x.readRM(0), x.reg8(x.regField()));
        x.writeRM(0, res);
    }

    static void xorEvGv(Exec x) {
        int sz = 1 + x.o32();
        int res = alu(x, 6, sz, x.readRM(sz), x.r[x.regField()]);
        x.writeRM(sz, res);
    }

    static void xorGbEb(Exec x) {
        int res = alu(x, 6, 0, x.reg8(x.regField()), x.readRM(0));
        x.setReg8(x.regField(), res);
    }

    static void xorGvEv(Exec x) {
        int sz = 1 + x.o32();
        int res = alu(x, 6, sz, x.r[x.regField()], x.readRM(sz));
        x.setReg(sz, x.regField(), res);
    }

    static void xorAlIb(Exec x) {
        int res = alu(x, 6, 0, x.r[EAX], x.imm());
        x.setReg8(0, res);
    }

    static void xorAxIv(Exec x) {
        int sz = 1 + x.o32();
        int res = alu(x, 6, sz, x.r[EAX], x.imm());
        x.setReg(sz, EAX, res);
    }

    static void cmpEbGb(Exec x) {
        alu(x, 7, 0, x.readRM(0), x.reg8(x.regField()));
    }

    static void cmpEvGv(Exec x) {
        int sz = 1 + x.o32();
        alu(x, 7, sz, x.readRM(sz), x.r[x.regField()]);
    }

    static void cmpGbEb(Exec x) {
        alu(x, 7, 0, x.reg8(x.regField()), x.readRM(0));
    }

    static void cmpGvEv(Exec x) {
        int sz = 1 + x.o32();
        alu(x, 7, sz, x.r[x.regField()], x.readRM(sz));
    }

    static void cmpAlIb(Exec x) {
        alu(x, 7, 0, x.r[EAX], x.imm());
    }

    static void cmpAxIv(Exec x) {
        int sz = 1 + x.o32();
        alu(x, 7, sz, x.r[EAX], x.imm());
    }

    /** INC/DEC of a general register; the 16-bit form inline. */
    static void incReg(Exec x, int i, boolean dec) {
        if (x.o32() == 0) {
            int v = x.r[i] & 0xFFFF;
            x.flags = (x.flags & ~CF) | x.cfNow();
            int res = (dec ? v - 1 : v + 1) & 0xFFFF;
            x.lop = dec ? L_DEC : L_INC;
            x.lmsb = 15;
            x.ldst = v;
            x.lsrc = 1;
            x.lres = res;
            x.r[i] = (x.r[i] & 0xFFFF0000) | res;
        } else {
            x.r[i] = incDec(x, 2, x.r[i], dec);
        }
    }

    static int incDec(Exec x, int sz, int v, boolean dec) {
        int cf = x.cfNow();
        x.flags = (x.flags & ~CF) | cf;
        int m = mask(sz);
        v &= m;
        int res = dec ? v - 1 : v + 1;
        x.lazy(dec ? L_DEC : L_INC, sz, v, 1, res);
        return res & m;
    }

    /** CMPXCHG Eb,Gb / Ev,Gv ({@code sz} 0 or 1 + o32). */
    static void cmpxchg(Exec x, int sz) {
        int d = x.readRM(sz);
        alu(x, 7, sz, x.r[EAX], d);
        if (x.zfNow()) {
            x.writeRM(sz, x.getReg(sz, x.regField()));
        } else {
            x.writeRM(sz, d);
            x.setReg(sz, EAX, d);
        }
    }

    /** XADD Eb,Gb / Ev,Gv. */
    static void xadd(Exec x, int sz) {
        int d = x.readRM(sz), src = x.getReg(sz, x.regField());
        int res = alu(x, 0, sz, d, src);
        x.setReg(sz, x.regField(), d);
        x.writeRM(sz, res);
    }
}
