package io.amiforge.x86.cpu;

import static io.amiforge.x86.cpu.Cpu.*;

/**
 * System instructions: port I/O, HLT (which waits for an interrupt or stops the run), MOV to and
 * from control registers (CR0.PE and CR0.PG switch modes, CR3 names the page directory),
 * SGDT/SIDT/LGDT/LIDT/SMSW/LMSW, INVLPG, CPUID (a family-6 Intel part that advertises long mode and NX), RDTSC and RDMSR.
 */
final class SystemOps {

    private SystemOps() {
    }

    /**
     * HLT: with IF clear the machine stops for good ({@code halted}); with IF set it waits for
     * the next interrupt, skipping virtual time (the instruction count) ahead to it, or stops
     * as {@code halted} when no interrupt source is armed or unmasked.
     */
    static void hlt(Exec x) {
        if ((x.flags & IF) == 0) {
            x.stop(StopReason.HALTED, "HLT with interrupts disabled at " + hex4(x.sr[CS]) + ":" + hex4(x.startIp));
        }
        x.halted = true;
        x.haltCs = x.sr[CS];
        x.haltIp = x.startIp;
        waitForInterrupt(x);
    }

    /**
     * The halted CPU's wait: takes a pending interrupt (which ends the halt), or skips the
     * instruction count ahead to the next timer event (at most to the run's end, so a later
     * run goes on waiting), or stops the run when nothing could ever wake it.
     */
    static void waitForInterrupt(Exec x) {
        long next = x.host.advanceTo(x.icount);
        int vector = x.host.acknowledgeInterrupt();
        if (vector >= 0) {
            x.halted = false;
            x.startIp = x.ip; // a #PF while delivering returns after the HLT
            x.cinf = 0;
            Control.interrupt(x, vector, x.ip);
            x.eventAt = next;
            x.limit = Math.min(x.runLimit, next);
            return;
        }
        if (next == Long.MAX_VALUE) {
            x.halted = false;
            x.stop(StopReason.HALTED, "HLT with interrupts enabled at " + hex4(x.haltCs) + ":" + hex4(x.haltIp)
                    + " and no interrupt source (waits forever)");
        }
        x.icount = Math.min(next, x.runLimit);
        x.eventAt = next;
        x.limit = x.icount; // no instruction runs: the loop comes back to the event
    }

    static String hex4(int v) {
        return String.format("%04X", v & 0xFFFF);
    }

    static void group7(Exec x) {
        int f = x.regField();
        switch (f) {
            case 0, 1 -> {
                if (x.modrm() >= 0xC0) {
                    x.fault(6);
                }
                Bus.wr16(x, x.eaBase, x.eaOff, f == 0 ? x.gdtLimit : x.idtLimit);
                Bus.wr32(x, x.eaBase, x.eaNext(2), f == 0 ? x.gdtBase : x.idtBase);
            }
            case 2, 3 -> {
                if (x.modrm() >= 0xC0) {
                    x.fault(6);
                }
                int lim = Bus.rd16(x, x.eaBase, x.eaOff);
                int base = Bus.rd32(x, x.eaBase, x.eaNext(2));
                if (x.o32() == 0) {
                    base &= 0xFFFFFF;
                }
                if (f == 2) {
                    x.gdtLimit = lim;
                    x.gdtBase = base;
                } else {
                    x.idtLimit = lim;
                    x.idtBase = base;
                }
            }
            case 4 -> x.writeRM(1, x.cr0);
            case 6 -> movToCr(x, 0, (x.cr0 & ~0xF) | (x.readRM(1) & 0xF) | (x.cr0 & 1));
            case 7 -> {
                if (x.modrm() >= 0xC0) {
                    x.fault(6);
                }
                x.paging.invalidate(x.eaBase + x.eaOff); // INVLPG
                x.mem.cache.clearLinear(); // code cached under the old translation of that page
            }
            default -> x.fault(6);
        }
    }

    /**
     * Group 6 (0F 00), protected mode only (#UD in real mode, as on a 386): SLDT, STR, LLDT,
     * LTR; VERR/VERW are not modelled (#UD).
     */
    static void group6(Exec x) {
        if (!x.pe) {
            x.fault(6);
        }
        switch (x.regField()) {
            case 0 -> x.writeRM(x.modrm() >= 0xC0 ? 1 + x.o32() : 1, x.ldtr);
            case 1 -> x.writeRM(x.modrm() >= 0xC0 ? 1 + x.o32() : 1, x.tr);
            case 2 -> Segments.loadSystem(x, x.readRM(1), false);
            case 3 -> Segments.loadSystem(x, x.readRM(1), true);
            default -> x.fault(6);
        }
    }

    /**
     * MOV CR0: with protected mode off ({@link Cpu#setProtectedMode}) setting PE stops the run
     * with {@link StopReason#PROTECTED_MODE}; with it on, PE switches segment loads and
     * interrupts to the descriptor tables and clearing it returns to real mode. PG turns on
     * 32-bit paging ({@link Paging}; PG without PE is #GP(0)); PG with CR4.PAE stops the run as
     * failed, since PAE paging is not emulated. MOV CR3 and a change of PG, WP, PSE or PGE
     * flush the TLB.
     */
    static void movToCr(Exec x, int n, int v) {
        switch (n) {
            case 0 -> {
                if ((v & 1) != 0 && !x.protectedMode) {
                    x.cr0 = v;
                    x.stop(StopReason.PROTECTED_MODE, "CR0.PE set at " + hex4(x.sr[CS]) + ":" + hex4(x.startIp)
                            + String.format(" (CR0=%08X, GDT base %08X limit %04X)", v, x.gdtBase, x.gdtLimit));
                }
                boolean pg = (v & Paging.CR0_PG) != 0;
                if (pg && (v & 1) == 0) {
                    x.fault(13, 0);
                }
                if (pg && (x.cr4 & Paging.CR4_PAE) != 0) {
                    stopPae(x, v, x.cr4);
                }
                if (((x.cr0 ^ v) & (Paging.CR0_PG | Paging.CR0_WP)) != 0) {
                    x.paging.flush();
                }
                x.cr0 = v;
                x.pe = (v & 1) != 0;
                if (pg != x.pg) {
                    x.pg = pg;
                    x.fastEnd = pg ? 0 : x.flatEnd;
                    x.a20 = pg ? Memory.A20_OPEN : x.mem.a20Mask;
                    x.segmentsChanged(); // the code tag says which decode table answers
                    x.mem.cache.clearLinear();
                }
            }
            case 2 -> x.cr2 = v;
            case 3 -> {
                x.cr3 = v;
                flushTranslations(x);
            }
            case 4 -> {
                if (x.pg && (v & Paging.CR4_PAE) != 0) {
                    stopPae(x, x.cr0, v);
                }
                if (((x.cr4 ^ v) & (Paging.CR4_PSE | Paging.CR4_PGE)) != 0) {
                    flushTranslations(x);
                }
                x.cr4 = v;
            }
            default -> x.fault(6);
        }
    }

    /** Forgets every translation: the TLB and the code decoded under it (keyed by linear address). */
    private static void flushTranslations(Exec x) {
        x.paging.flush();
        x.mem.cache.clearLinear();
    }

    private static void stopPae(Exec x, int cr0, int cr4) {
        x.stop(StopReason.FAILED, String.format("PAE paging enabled at %04X:%08X (CR0=%08X, CR4=%08X, CR3=%08X): only"
                + " 32-bit paging is emulated, not PAE or long mode", x.sr[CS], x.startIp, cr0, cr4, x.cr3));
    }

    static void cpuid(Exec x) {
        int leaf = x.r[EAX];
        int a = 0, b = 0, c = 0, d = 0;
        switch (leaf) {
            case 0 -> {
                a = 1;
                b = 0x756E6547; // "Genu"
                d = 0x49656E69; // "ineI"
                c = 0x6C65746E; // "ntel"
            }
            case 1 -> {
                a = 0x00000633;
                // FPU TSC MSR PAE CX8 PGE CMOV FXSR SSE SSE2 PSE
                d = 1 | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 8) | (1 << 13) | (1 << 15) | (1 << 24)
                        | (1 << 25) | (1 << 26);
            }
            case 0x80000000 -> a = 0x80000001;
            case 0x80000001 -> d = (1 << 29) | (1 << 20); // LM, NX
            default -> { }
        }
        x.r[EAX] = a;
        x.r[EBX] = b;
        x.r[ECX] = c;
        x.r[EDX] = d;
    }

    /** IN AL ({@code wide} 0) or AX/EAX ({@code wide} 1) from {@code port}. */
    static void in(Exec x, int port, int wide) {
        if (wide == 0) {
            x.setReg8(0, x.host.in(port, 1));
        } else {
            x.setReg(1 + x.o32(), EAX, x.host.in(port, 2 + 2 * x.o32()));
        }
    }

    /** OUT AL ({@code wide} 0) or AX/EAX ({@code wide} 1) to {@code port}. */
    static void out(Exec x, int port, int wide) {
        if (wide == 0) {
            x.host.out(port, 1, x.r[EAX] & 0xFF);
        } else {
            x.host.out(port, 2 + 2 * x.o32(), x.getReg(1 + x.o32(), EAX));
        }
        x.eventSoon(); // a timer reprogrammed, a mask or an EOI written: look again
    }

    /** MOV r32,CRn (CR0, CR2-CR4; others #UD). */
    static void movFromCr(Exec x) {
        x.r[x.modrm() & 7] = switch (x.regField()) {
            case 0 -> x.cr0;
            case 2 -> x.cr2;
            case 3 -> x.cr3;
            case 4 -> x.cr4;
            default -> {
                x.fault(6);
                yield 0;
            }
        };
    }

    /** RDTSC: a time-stamp counter of three cycles per instruction. */
    static void rdtsc(Exec x) {
        long tsc = x.icount * 3;
        x.r[EAX] = (int) tsc;
        x.r[EDX] = (int) (tsc >>> 32);
    }

    /** RDMSR: every model-specific register reads 0. */
    static void rdmsr(Exec x) {
        x.r[EAX] = 0;
        x.r[EDX] = 0;
    }
}
