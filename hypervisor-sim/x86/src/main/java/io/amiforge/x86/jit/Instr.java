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

    /** Whether the instruction ends a block after it (a relative branch the translator handles). */
    static boolean branch(int op) {
        return (op >= 0x70 && op < 0x80) || (op >= 0x180 && op < 0x190) || op == 0xE2 || op == 0xE9 || op == 0xEB;
    }

    /** Whether the translator handles the instruction. */
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
            case 0x84, 0x85, 0x88, 0x89, 0x8A, 0x8B, 0x90, 0xA8, 0xA9, 0xC6, 0xC7 -> true;
            default -> (op >= 0x40 && op < 0x60) || (op >= 0xB0 && op < 0xC0) || branch(op);
        };
    }

    /** Number of instructions from the block's start that the translator covers (0: none). */
    static int translatable(DecodedBlock code) {
        int n = 0;
        while (n < code.count() && known(code.info(n))) {
            if (branch(op(code.info(n++)))) {
                break;
            }
        }
        return n;
    }
}
