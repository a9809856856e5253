package io.amiforge.x86.cpu;

import static io.amiforge.x86.cpu.Cpu.*;
import static io.amiforge.x86.cpu.CpuState.*;

/**
 * Decimal adjustment: DAA, DAS, AAA/AAS, AAM and AAD, with the flags a 386 leaves (which differ
 * from the 8086 for DAA/DAS with AL 9A-9F and for AAA/AAS carrying into AH).
 */
final class Bcd {

    private Bcd() {
    }

    static void aam(Exec x) {
        int base = x.imm();
        if (base == 0) {
            x.fault(0);
        }
        int al = x.reg8(0);
        int nal = al % base;
        x.setReg(1, EAX, nal | (al / base) << 8);
        x.lazy(L_LOGIC, 0, nal, 0, nal);
    }

    static void daa(Exec x) {
        int f = x.flagsValue();
        int al = x.reg8(0), oldAl = al;
        boolean oldCf = (f & CF) != 0;
        int nf = f & ~(CF | AF);
        if ((al & 0xF) > 9 || (f & AF) != 0) {
            al += 6;
            nf |= AF;
        }
        if (oldAl > 0x99 || oldCf) {
            al += 0x60;
            nf |= CF;
        }
        al &= 0xFF;
        x.setReg8(0, al);
        x.flags = nf;
        x.setSZP(0, al, nf & (CF | AF));
    }

    static void das(Exec x) {
        int f = x.flagsValue();
        int al = x.reg8(0), oldAl = al;
        boolean oldCf = (f & CF) != 0;
        int nf = f & ~(CF | AF);
        if ((al & 0xF) > 9 || (f & AF) != 0) {
            al -= 6;
            nf |= AF;
        }
        if (oldAl > 0x99 || oldCf) {
            al -= 0x60;
            nf |= CF;
        }
        al &= 0xFF;
        x.setReg8(0, al);
        x.flags = nf;
        x.setSZP(0, al, nf & (CF | AF));
    }

    static void aaa(Exec x, boolean sub) {
        int f = x.flagsValue();
        int al = x.reg8(0);
        if ((al & 0xF) > 9 || (f & AF) != 0) {
            int ax = x.r[EAX] & 0xFFFF;
            ax = sub ? ax - 6 : ax + 0x106;
            if (sub) {
                ax = (ax & 0xFF) | ((((ax >>> 8) - 1) & 0xFF) << 8);
            }
            x.setReg(1, EAX, ax);
            f |= AF | CF;
        } else {
            f &= ~(AF | CF);
        }
        x.setReg8(0, x.reg8(0) & 0xF);
        x.flags = f;
        x.setSZP(0, x.reg8(0), f & (AF | CF));
    }

    /** AAD imm8: AL = AL + AH * base, AH = 0. */
    static void aad(Exec x) {
        int al = (x.reg8(0) + x.reg8(4) * x.imm()) & 0xFF;
        x.setReg(1, EAX, al);
        x.lazy(L_LOGIC, 0, al, 0, al);
    }
}
