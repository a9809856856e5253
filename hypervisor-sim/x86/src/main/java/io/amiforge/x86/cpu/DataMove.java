package io.amiforge.x86.cpu;

import static io.amiforge.x86.cpu.Cpu.*;
import static io.amiforge.x86.cpu.CpuState.*;

/**
 * DataMove
 */
final class DataMove {

    private DataMove() {
    }

    static void loadFar(Exec x, int seg) {
        if (x.modrm() >= 0xC0) {
            x.fault(6);
        }
        int sz = 1 + x.o32();
        int off = x.bus.rd(sz, x.eaBase, x.eaOff);
        int s = x.bus.rd16(x.eaBase, (x.eaOff + 2 + 2 * x.o32()) & 0xFFFF);
        x.s.setReg(sz, x.regField(), off);
        x.s.setSeg(seg, s);
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
                x.s.setReg(1 + x.o32(), i, v);
            }
        }
    }
}
