package io.amiforge.x86.cpu;

import static io.amiforge.x86.cpu.Cpu.*;

/**
 * String instructions: MOVS CMPS STOS LODS SCAS and INS/OUTS, with REP/REPE/REPNE. A REP loop
 * counts each iteration as an instruction; when the run's budget ends mid-loop, IP is left at
 * the instruction so the next run resumes it.
 */
final class Strings {

    private Strings() {
    }

    static void string(Exec x, int op) {
        int sz = (op & 1) == 0 ? 0 : 1 + x.o32();
        int step = (1 << sz) * ((x.flags & DF) != 0 ? -1 : 1);
        int amask = x.a32() == 1 ? 0xFFFFFFFF : 0xFFFF;
        int srcBase = x.dataSeg(), dstBase = x.sb[ES];
        boolean cmp = op == 0xA6 || op == 0xA7 || op == 0xAE || op == 0xAF;
        if (x.rep() == 0) {
            stringOnce(x, op, sz, step, amask, srcBase, dstBase);
            return;
        }
        while (true) {
            int cx = x.r[ECX] & amask;
            if (cx == 0) {
                return;
            }
            stringOnce(x, op, sz, step, amask, srcBase, dstBase);
            cx = (cx - 1) & amask;
            x.r[ECX] = (x.r[ECX] & ~amask) | cx;
            if (cmp && (x.zfNow() != (x.rep() == 1))) {
                return;
            }
            if (cx == 0) {
                return;
            }
            if (++x.icount >= x.limit) {
                x.ip = x.startIp; // resume the rest on the next run
                return;
            }
        }
    }

    static void stringOnce(Exec x, int op, int sz, int step, int amask, int srcBase, int dstBase) {
        int si = x.r[ESI] & amask, di = x.r[EDI] & amask;
        switch (op) {
            case 0xA4, 0xA5 -> {
                Bus.wr(x, sz, dstBase, di, Bus.rd(x, sz, srcBase, si));
                advance(x, ESI, step, amask);
                advance(x, EDI, step, amask);
            }
            case 0xA6, 0xA7 -> {
                Alu.alu(x, 7, sz, Bus.rd(x, sz, srcBase, si), Bus.rd(x, sz, dstBase, di));
                advance(x, ESI, step, amask);
                advance(x, EDI, step, amask);
            }
            case 0xAA, 0xAB -> {
                Bus.wr(x, sz, dstBase, di, x.r[EAX]);
                advance(x, EDI, step, amask);
            }
            case 0xAC, 0xAD -> {
                x.setReg(sz, EAX, Bus.rd(x, sz, srcBase, si));
                advance(x, ESI, step, amask);
            }
            default -> {
                Alu.alu(x, 7, sz, x.r[EAX], Bus.rd(x, sz, dstBase, di));
                advance(x, EDI, step, amask);
            }
        }
    }

    static void advance(Exec x, int reg, int step, int amask) {
        x.r[reg] = (x.r[reg] & ~amask) | ((x.r[reg] + step) & amask);
    }

    static void stringIo(Exec x, int op) {
        int sz = (op & 1) == 0 ? 0 : 1 + x.o32();
        int step = (1 << sz) * ((x.flags & DF) != 0 ? -1 : 1);
        int amask = x.a32() == 1 ? 0xFFFFFFFF : 0xFFFF;
        int port = x.r[EDX] & 0xFFFF;
        do {
            if (x.rep() != 0) {
                if ((x.r[ECX] & amask) == 0) {
                    return;
                }
                x.r[ECX] = (x.r[ECX] & ~amask) | ((x.r[ECX] - 1) & amask);
            }
            if (op < 0x6E) {
                Bus.wr(x, sz, x.sb[ES], x.r[EDI] & amask, x.host.in(port, 1 << sz));
                advance(x, EDI, step, amask);
            } else {
                x.host.out(port, 1 << sz, Bus.rd(x, sz, x.dataSeg(), x.r[ESI] & amask));
                advance(x, ESI, step, amask);
            }
        } while (x.rep() != 0 && ++x.icount < x.limit);
        if (x.rep() != 0 && (x.r[ECX] & amask) != 0) {
            x.ip = x.startIp;
        }
    }
}
