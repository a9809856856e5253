package io.amiforge.x86.cpu;

import static io.amiforge.x86.cpu.Cpu.AF;
import static io.amiforge.x86.cpu.Cpu.CF;
import static io.amiforge.x86.cpu.Cpu.DF;
import static io.amiforge.x86.cpu.Cpu.IF;
import static io.amiforge.x86.cpu.Cpu.PF;
import static io.amiforge.x86.cpu.Cpu.SF;
import static io.amiforge.x86.cpu.Cpu.ZF;

/**
 * Instructions that move EFLAGS as a whole or set single flags: PUSHF/POPF (the 32-bit forms
 * keep VM and RF, and a popped image cannot set reserved bits), SAHF/LAHF, SALC, and
 * CMC/CLC/STC/CLI/STI/CLD/STD. Each folds the lazy arithmetic flags first.
 */
final class FlagOps {

    private static final int LOW_ARITH = CF | PF | AF | ZF | SF;

    private FlagOps() {
    }

    static void pushf(Exec x) {
        int f = x.flagsValue();
        if (x.o32() == 1) {
            x.push32(f & 0x00FCFFFF);
        } else {
            x.push16(f);
        }
    }

    static void popf(Exec x) {
        if (x.o32() == 1) {
            x.setFlags((x.pop32() & 0x00247FD5) | (x.flags & 0x1A0000));
        } else {
            x.setFlags((x.flags & 0xFFFF0000) | x.pop16());
        }
        if ((x.flags & IF) != 0) {
            x.eventSoon();
        }
    }

    static void sahf(Exec x) {
        x.flags = (x.flagsValue() & ~LOW_ARITH) | (x.reg8(4) & LOW_ARITH) | 2;
    }

    static void lahf(Exec x) {
        x.setReg8(4, (x.flagsValue() & 0xD5) | 2);
    }

    /** SALC (undocumented): AL = CF ? 0xFF : 0. */
    static void salc(Exec x) {
        x.setReg8(0, x.cfNow() != 0 ? 0xFF : 0);
    }

    /** CMC F5, CLC F8, STC F9, CLI FA, STI FB, CLD FC, STD FD. */
    static void setClear(Exec x, int op) {
        switch (op) {
            case 0xF5 -> x.flags = x.flagsValue() ^ CF;
            case 0xF8 -> x.flags = x.flagsValue() & ~CF;
            case 0xF9 -> x.flags = x.flagsValue() | CF;
            case 0xFA -> x.flags &= ~IF;
            case 0xFB -> {
                x.flags |= IF;
                x.eventSoon(); // after the next instruction, as STI's interrupt shadow has it
            }
            case 0xFC -> x.flags &= ~DF;
            default -> x.flags |= DF;
        }
    }
}
