package io.amiforge.x86.cpu;

import static io.amiforge.x86.cpu.Cpu.*;
import static io.amiforge.x86.cpu.CpuState.*;

/**
 * Control transfer: relative and far jumps, CALL/RET near and far, LOOP/JCXZ, ENTER/LEAVE,
 * group 5 (INC/DEC/CALL/JMP/PUSH Ev), BOUND, software interrupts and IRET, and the BIOS trap
 * that hands a stub's vector to {@link CpuHost#bios} and then performs the stub's IRET.
 */
final class Control {

    private Control() {
    }

    static void jumpRel(Exec x, int rel) {
        x.ip = (x.ip + rel) & 0xFFFF;
    }

    static void farJump(Exec x, int seg, int off) {
        x.setSeg(CS, seg);
        x.ip = off & 0xFFFF;
    }

    /** Delivers interrupt {@code vec} through the IVT with return address {@code retIp}. */
    static void interrupt(Exec x, int vec, int retIp) {
        x.push16(x.flagsValue());
        x.push16(x.sr[CS]);
        x.push16(retIp);
        x.flags &= ~(IF | TF | 0x40000);
        int a = (vec & 0xFF) * 4;
        int off = Bus.rd16(x, 0, a);
        int seg = Bus.rd16(x, 0, a + 2);
        farJump(x, seg, off);
    }

    static void iret(Exec x) {
        int nip, ncs, nfl;
        if (x.o32() == 1) {
            nip = x.pop32();
            ncs = x.pop32() & 0xFFFF;
            nfl = x.pop32();
            x.flags = (x.flags & 0x1A0000) | (nfl & 0x00257FD5) | 2;
        } else {
            nip = x.pop16();
            ncs = x.pop16();
            nfl = x.pop16();
            x.flags = (x.flags & 0xFFFF0000) | (nfl & 0x7FD5) | 2;
        }
        x.lop = L_NONE;
        farJump(x, ncs, nip);
        if ((x.flags & IF) != 0) {
            x.eventSoon();
        }
    }

    static void biosTrap(Exec x) {
        int vec = x.imm();
        x.host.bios(vec, x.cpu);
        // the stub's IRET, keeping CF and ZF as the service left them
        int keep = x.flagsValue() & (CF | ZF);
        int nip = x.pop16();
        int ncs = x.pop16();
        int nfl = x.pop16();
        x.flags = (x.flags & 0xFFFF0000) | (nfl & 0x7FD5 & ~(CF | ZF)) | keep | 2;
        farJump(x, ncs, nip);
    }

    static void group5(Exec x) {
        int f = x.regField(), sz = 1 + x.o32();
        switch (f) {
            case 0, 1 -> x.writeRM(sz, Alu.incDec(x, sz, x.readRM(sz), f == 1));
            case 2 -> {
                int t = x.readRM(sz);
                x.push(x.ip);
                x.ip = t & 0xFFFF;
            }
            case 3, 5 -> {
                if (x.modrm() >= 0xC0) {
                    x.fault(6);
                }
                int off = Bus.rd(x, sz, x.eaBase, x.eaOff);
                int seg = Bus.rd16(x, x.eaBase, (x.eaOff + 2 + 2 * x.o32()) & 0xFFFF);
                if (f == 3) {
                    x.push(x.sr[CS]);
                    x.push(x.ip);
                }
                farJump(x, seg, off);
            }
            case 4 -> x.ip = x.readRM(sz) & 0xFFFF;
            case 6 -> x.push(x.readRM(sz));
            default -> x.fault(6);
        }
    }

    static void loop(Exec x, int op) {
        int cx;
        if (x.a32() == 1) {
            cx = --x.r[ECX];
        } else {
            cx = (x.r[ECX] - 1) & 0xFFFF;
            x.r[ECX] = (x.r[ECX] & 0xFFFF0000) | cx;
        }
        boolean take = cx != 0 && (op == 0xE2 || (op == 0xE1) == x.zfNow());
        if (take) {
            jumpRel(x, x.imm());
        }
    }

    static void bound(Exec x) {
        if (x.modrm() >= 0xC0) {
            x.fault(6);
        }
        int sz = 1 + x.o32();
        int idx = x.getReg(sz, x.regField());
        int lo = Bus.rd(x, sz, x.eaBase, x.eaOff), hi = Bus.rd(x, sz, x.eaBase, (x.eaOff + 2 + 2 * x.o32()) & 0xFFFF);
        if (sz == 1) {
            idx = (short) idx;
            lo = (short) lo;
            hi = (short) hi;
        }
        if (idx < lo || idx > hi) {
            x.fault(5);
        }
    }

    static void enter(Exec x) {
        int size = x.imm(), level = x.imm2() & 31;
        x.push(x.r[EBP]);
        int frame = x.r[ESP] & 0xFFFF;
        if (level > 0) {
            int bp = x.r[EBP] & 0xFFFF;
            int w = 2 + 2 * x.o32();
            for (int i = 1; i < level; i++) {
                bp = (bp - w) & 0xFFFF;
                x.push(x.o32() == 1 ? Bus.rd32(x, x.sb[SS], bp) : Bus.rd16(x, x.sb[SS], bp));
            }
            x.push(frame);
        }
        x.setReg(1 + x.o32(), EBP, frame);
        x.r[ESP] = (x.r[ESP] & 0xFFFF0000) | ((x.r[ESP] - size) & 0xFFFF);
    }

    /** CALL ptr16:16/32. */
    static void callFar(Exec x) {
        x.push(x.sr[CS]);
        x.push(x.ip);
        farJump(x, x.imm2(), x.imm());
    }

    /** RET imm16: pops IP, then releases {@code popBytes} of arguments. */
    static void retNear(Exec x, int popBytes) {
        x.ip = x.pop() & 0xFFFF;
        x.r[ESP] = (x.r[ESP] & 0xFFFF0000) | ((x.r[ESP] + popBytes) & 0xFFFF);
    }

    /** RETF [imm16]: pops IP and CS, then releases {@code popBytes} of arguments. */
    static void retFar(Exec x, int popBytes) {
        int nip = x.pop();
        int ncs = x.pop();
        farJump(x, ncs, nip);
        x.r[ESP] = (x.r[ESP] & 0xFFFF0000) | ((x.r[ESP] + popBytes) & 0xFFFF);
    }

    static void leave(Exec x) {
        x.r[ESP] = (x.r[ESP] & 0xFFFF0000) | (x.r[EBP] & 0xFFFF);
        x.setReg(1 + x.o32(), EBP, x.pop());
    }

    /** JCXZ / JECXZ. */
    static void jcxz(Exec x) {
        if ((x.a32() == 1 ? x.r[ECX] : x.r[ECX] & 0xFFFF) == 0) {
            jumpRel(x, x.imm());
        }
    }
}
