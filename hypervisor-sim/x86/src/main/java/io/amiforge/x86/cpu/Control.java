package io.amiforge.x86.cpu;

import static io.amiforge.x86.cpu.Cpu.*;
import static io.amiforge.x86.cpu.CpuState.*;

/**
 * Control transfer: relative and far jumps, CALL/RET near and far, LOOP/JCXZ, ENTER/LEAVE,
 * group 5 (INC/DEC/CALL/JMP/PUSH Ev), BOUND, software interrupts and IRET, and the BIOS trap
 * that hands a stub's vector to {@link CpuHost#bios} and then performs the stub's IRET.
 */
final class Control {

    /** Exceptions that push an error code in protected mode: #DF, #TS, #NP, #SS, #GP, #PF, #AC. */
    private static final int ERROR_CODE_VECTORS = 1 << 8 | 1 << 10 | 1 << 11 | 1 << 12 | 1 << 13 | 1 << 14 | 1 << 17;
    private static final int DOUBLE_FAULT = 8;

    private Control() {
    }

    /** A near jump by {@code rel}: EIP wraps at 64 KiB with a 16-bit operand size. */
    static void jumpRel(Exec x, int rel) {
        x.ip = (x.ip + rel) & (x.o32() == 1 ? -1 : 0xFFFF);
    }

    static void farJump(Exec x, int seg, int off) {
        Segments.load(x, CS, seg);
        x.ip = off & x.ipMask;
    }

    /** Delivers interrupt {@code vec} through the IVT (real mode) or the IDT (protected mode) with return address {@code retIp}. */
    static void interrupt(Exec x, int vec, int retIp) {
        if (x.pe) {
            gate(x, vec & 0xFF, retIp, false);
            return;
        }
        x.pendingErrorCode = -1;
        x.push16(x.flagsValue());
        x.push16(x.sr[CS]);
        x.push16(retIp);
        x.flags &= ~(IF | TF | 0x40000);
        int a = (vec & 0xFF) * 4;
        int off = Bus.rd16(x, 0, a);
        int seg = Bus.rd16(x, 0, a + 2);
        farJump(x, seg, off);
    }

    /**
     * Protected-mode delivery through the IDT's interrupt or trap gate (16- or 32-bit) at the
     * same privilege level: pushes EFLAGS, CS, EIP and the error code of the exceptions that
     * have one, clears TF, NT and RF (and IF for interrupt gates). A vector without a usable
     * gate raises #DF; one while delivering #DF is a triple fault, which resets the machine
     * (the run stops as failed).
     */
    private static void gate(Exec x, int vec, int retIp, boolean nested) {
        int errorCode = x.pendingErrorCode;
        x.pendingErrorCode = -1;
        int at = vec * 8;
        int lo = 0, hi = 0, type = 0;
        boolean usable = Integer.compareUnsigned(at + 7, x.idtLimit) <= 0;
        if (usable) {
            lo = Bus.rd32(x, x.idtBase, at);
            hi = Bus.rd32(x, x.idtBase, at + 4);
            type = (hi >>> 8) & 0x1F;
            usable = (hi & 0x8000) != 0 && (type == 0x06 || type == 0x07 || type == 0x0E || type == 0x0F);
        }
        if (!usable) {
            if (nested || vec == DOUBLE_FAULT) {
                x.stop(StopReason.FAILED, String.format("triple fault: no usable IDT gate for vector %02Xh (IDT base %08X"
                        + " limit %04X) at %04X:%08X; the machine resets", vec, x.idtBase, x.idtLimit, x.sr[CS], x.startIp));
            }
            x.faultVector = DOUBLE_FAULT;
            x.pendingErrorCode = 0;
            gate(x, DOUBLE_FAULT, retIp, true);
            return;
        }
        boolean gate32 = (type & 0x08) != 0;
        int flags = x.flagsValue(), cs = x.sr[CS];
        Segments.load(x, CS, lo >>> 16);
        if (gate32) {
            x.push32(flags);
            x.push32(cs);
            x.push32(retIp);
        } else {
            x.push16(flags);
            x.push16(cs);
            x.push16(retIp);
        }
        if (errorCode >= 0 && (ERROR_CODE_VECTORS & (1 << vec)) != 0 && vec < 32) {
            if (gate32) {
                x.push32(errorCode);
            } else {
                x.push16(errorCode);
            }
        }
        x.flags &= ~(TF | 0x4000 | 0x10000 | ((type & 1) == 0 ? IF : 0));
        x.ip = gate32 ? (lo & 0xFFFF) | (hi & 0xFFFF0000) : lo & 0xFFFF;
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
        int chain = x.chainVector;
        if (chain >= 0) {
            // continue in the guest's handler of another vector with the same frame: its IRET returns to the
            // interrupted code, as a BIOS's INT n followed by IRET would
            x.chainVector = -1;
            farJump(x, Bus.rd16(x, 0, chain * 4 + 2), Bus.rd16(x, 0, chain * 4));
            return;
        }
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
                x.ip = t;
            }
            case 3, 5 -> {
                if (x.modrm() >= 0xC0) {
                    x.fault(6);
                }
                int off = Bus.rd(x, sz, x.eaBase, x.eaOff);
                int seg = Bus.rd16(x, x.eaBase, x.eaNext(2 + 2 * x.o32()));
                if (f == 3) {
                    x.push(x.sr[CS]);
                    x.push(x.ip);
                }
                farJump(x, seg, off);
            }
            case 4 -> x.ip = x.readRM(sz);
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
        int lo = Bus.rd(x, sz, x.eaBase, x.eaOff), hi = Bus.rd(x, sz, x.eaBase, x.eaNext(2 + 2 * x.o32()));
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
        int frame = x.r[ESP] & x.spMask;
        if (level > 0) {
            int bp = x.r[EBP] & x.spMask;
            int w = 2 + 2 * x.o32();
            for (int i = 1; i < level; i++) {
                bp = (bp - w) & x.spMask;
                x.push(x.o32() == 1 ? Bus.rd32(x, x.sb[SS], bp) : Bus.rd16(x, x.sb[SS], bp));
            }
            x.push(frame);
        }
        x.setReg(1 + x.o32(), EBP, frame);
        x.addSp(-size);
    }

    /** CALL ptr16:16/32. */
    static void callFar(Exec x) {
        x.push(x.sr[CS]);
        x.push(x.ip);
        farJump(x, x.imm2(), x.imm());
    }

    /** RET imm16: pops IP, then releases {@code popBytes} of arguments. */
    static void retNear(Exec x, int popBytes) {
        x.ip = x.pop();
        x.addSp(popBytes);
    }

    /** RETF [imm16]: pops IP and CS, then releases {@code popBytes} of arguments. */
    static void retFar(Exec x, int popBytes) {
        int nip = x.pop();
        int ncs = x.pop();
        farJump(x, ncs, nip);
        x.addSp(popBytes);
    }

    static void leave(Exec x) {
        x.r[ESP] = (x.r[ESP] & ~x.spMask) | (x.r[EBP] & x.spMask);
        x.setReg(1 + x.o32(), EBP, x.pop());
    }

    /** JCXZ / JECXZ. */
    static void jcxz(Exec x) {
        if ((x.a32() == 1 ? x.r[ECX] : x.r[ECX] & 0xFFFF) == 0) {
            jumpRel(x, x.imm());
        }
    }
}
