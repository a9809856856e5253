package io.amiforge.x86.jit;

import io.amiforge.x86.cpu.DecodedBlock;

/**
 * What the translator reads from a decoded instruction's info word (layout in
 * {@link DecodedBlock}), which instructions it translates, and the CPU's lazy-flag operation
 * codes ({@code CpuState.L_*}) that a translated block stores.
 */
final class Instr {

    /** Lazy-flag operations as {@code CpuState} numbers them. */
    static final int L_ADD = 1, L_SUB = 2, L_LOGIC = 3, L_INC = 4, L_DEC = 5;

    private Instr() {
    }

    static int op(int inf) {
        return inf & 0x3FF;
    }

    static int length(int inf) {
        return (inf >>> 10) & 0xF;
    }

    static int modrm(int inf) {
        return (inf >>> 22) & 0xFF;
    }

    /** Operand mask for size code 0 (byte), 1 (word), 2 (dword). */
    static int mask(int sz) {
        return -1 >>> (32 - (8 << sz));
    }

    /** Target of the relative branch {@code k}: next IP + displacement, in the instruction's operand size. */
    static int target(DecodedBlock code, int k) {
        int inf = code.info(k);
        int next = (code.ip(k) + length(inf)) & (code.code32() ? -1 : 0xFFFF);
        return (next + code.imm(k)) & (((inf >>> 14) & 1) == 1 ? -1 : 0xFFFF);
    }

    /** Whether the instruction is a relative branch the translator handles (Jcc, LOOP, JMP, CALL). */
    static boolean branch(int op) {
        return (op >= 0x70 && op < 0x80) || (op >= 0x180 && op < 0x190) || op == 0xE2 || op == 0xE8 || op == 0xE9
                || op == 0xEB;
    }

    /** {@link #viaInterpreter}: not at all, as a step the block goes on after, or as the block's last instruction. */
    static final int NOT = 0, STEP = 1, LAST = 2;

    /**
     * Whether a block may run the instruction through the interpreter's own handler (a call out of the generated
     * code instead of a return to the run loop): {@link #STEP} for instructions that change neither CS nor the code
     * size nor the paging mode and count as one instruction, {@link #LAST} for near calls, returns and indirect jumps
     * and REP string instructions (which set IP, or count each iteration, themselves), {@link #NOT} for the rest
     * (far transfers, interrupts, HLT, OUT, CR/descriptor-table loads, STI): those end the block before them.
     */
    static int viaInterpreter(int inf) {
        int op = op(inf), reg = (modrm(inf) >>> 3) & 7;
        if (op < 0x40) {
            return (op & 7) < 6 || (op & 7) == 7 && op >= 0x20 || op == 0x06 || op == 0x0E || op == 0x16 || op == 0x1E
                    || op == 0x07 || op == 0x1F ? STEP : NOT; // ADC/SBB, DAA..AAS, PUSH/POP segment
        }
        if (op >= 0xA4 && op <= 0xAF && op != 0xA8 && op != 0xA9) {
            return ((inf >>> 19) & 3) == 0 ? STEP : LAST;
        }
        return switch (op) {
            case 0x60, 0x61, 0x68, 0x69, 0x6A, 0x6B, 0x80, 0x81, 0x82, 0x83, 0x86, 0x87, 0x8C, 0x91, 0x92, 0x93, 0x94,
                    0x95, 0x96, 0x97, 0x98, 0x99, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2, 0xA3, 0xC0, 0xC1, 0xC8,
                    0xC9, 0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD7, 0xE4, 0xE5, 0xEC, 0xED, 0xF5, 0xF6, 0xF7, 0xF8,
                    0xF9, 0xFA, 0xFC, 0xFD -> STEP;
            case 0x8E -> reg != 1 && reg < 6 ? STEP : NOT;
            case 0xC2 -> LAST;
            case 0xFF -> reg == 6 ? STEP : reg == 2 || reg == 4 ? LAST : NOT;
            case 0x1A2, 0x1A3, 0x1A4, 0x1A5, 0x1AB, 0x1AC, 0x1AD, 0x1AF, 0x1B0, 0x1B1, 0x1B3, 0x1B6, 0x1B7, 0x1BA,
                    0x1BB, 0x1BC, 0x1BD, 0x1BE, 0x1BF, 0x1C0, 0x1C1 -> STEP;
            default -> (op >= 0x140 && op < 0x150) || (op >= 0x190 && op < 0x1A0) || (op >= 0x1C8 && op < 0x1D0)
                    ? STEP : NOT;
        };
    }

    /** Whether the translator handles the instruction in its own code. */
    static boolean known(int inf) {
        int op = op(inf), reg = (modrm(inf) >>> 3) & 7;
        if (op < 0x40) {
            int aop = op >>> 3;
            return (op & 7) < 6 && aop != 2 && aop != 3;
        }
        return switch (op) {
            case 0x80, 0x81, 0x82, 0x83 -> reg != 2 && reg != 3;
            case 0x8D -> modrm(inf) < 0xC0;
            case 0xFE, 0xFF -> reg < 2;
            case 0x84, 0x85, 0x88, 0x89, 0x8A, 0x8B, 0x90, 0xA8, 0xA9, 0xC3, 0xC6, 0xC7 -> true;
            default -> (op >= 0x40 && op < 0x60) || (op >= 0xB0 && op < 0xC0) || branch(op);
        };
    }

    /**
     * Number of instructions from the block's start that the translator can cover (0: none): up to the first it
     * can neither translate nor run through the interpreter, or {@code max}. Branches do not end the scan: a
     * block jumps to those of its own instructions that a branch in it targets ({@link #reachable}).
     */
    static int translatable(DecodedBlock code, int max) {
        int n = 0;
        while (n < Math.min(code.count(), max) && (known(code.info(n)) || viaInterpreter(code.info(n)) != NOT)) {
            n++;
        }
        return n;
    }

    /** Whether the instruction never goes on to the next one (JMP, CALL, RET, or one that ends the block itself). */
    static boolean endsFlow(int inf) {
        int op = op(inf);
        return op == 0xE8 || op == 0xE9 || op == 0xEB || op == 0xC3 || !known(inf) && viaInterpreter(inf) == LAST;
    }

    /** Index of the instruction among the first {@code n} that starts at IP {@code ip}, or -1. */
    static int indexOf(DecodedBlock code, int n, int ip) {
        for (int j = 0; j < n; j++) {
            if (code.ip(j) == ip) {
                return j;
            }
        }
        return -1;
    }

    /**
     * Which of the first {@code n} instructions the block can reach from its entry: by falling through, or as the
     * target of one of its reachable branches.
     */
    static boolean[] reachable(DecodedBlock code, int n) {
        boolean[] live = new boolean[n];
        live[0] = true;
        for (boolean changed = true; changed;) {
            changed = false;
            for (int k = 0; k < n; k++) {
                if (!live[k]) {
                    continue;
                }
                int inf = code.info(k);
                if (known(inf) && branch(op(inf))) {
                    int j = indexOf(code, n, target(code, k));
                    if (j >= 0 && !live[j]) {
                        live[j] = changed = true;
                    }
                }
                if (k + 1 < n && !endsFlow(inf) && !live[k + 1]) {
                    live[k + 1] = changed = true;
                }
            }
        }
        return live;
    }
}
