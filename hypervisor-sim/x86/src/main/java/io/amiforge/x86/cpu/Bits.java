package io.amiforge.x86.cpu;

import static io.amiforge.x86.cpu.Cpu.*;

/**
 * Bit instructions: BT/BTS/BTR/BTC (a register bit offset addresses memory beyond the operand,
 * signed, as on the 386) and BSF/BSR.
 */
final class Bits {

    private Bits() {
    }

    static void bitOp(Exec x, int kind, int sz, int bitOffset, boolean fromReg) {
        int bits = sz == 1 ? 16 : 32;
        int bit;
        int v;
        int base = x.eaBase, off = x.eaOff;
        if (x.modrm() >= 0xC0) {
            bit = bitOffset & (bits - 1);
            v = x.getReg(sz, x.modrm() & 7);
        } else {
            if (fromReg) {
                int signed = sz == 1 ? (short) bitOffset : bitOffset;
                int words = signed >> (sz == 1 ? 4 : 5);
                off = (off + words * (bits / 8)) & (x.a32() == 1 ? 0xFFFFFFFF : 0xFFFF);
            }
            bit = bitOffset & (bits - 1);
            v = Bus.rd(x, sz, base, off);
        }
        int cf = (v >>> bit) & 1;
        x.flags = (x.flagsValue() & ~CF) | cf;
        if (kind == 0) {
            return;
        }
        int nv = switch (kind) {
            case 1 -> v | (1 << bit);
            case 2 -> v & ~(1 << bit);
            default -> v ^ (1 << bit);
        };
        if (x.modrm() >= 0xC0) {
            x.setReg(sz, x.modrm() & 7, nv);
        } else {
            Bus.wr(x, sz, base, off, nv);
        }
    }

    /** BSF ({@code forward}) / BSR: ZF set and destination unchanged for a zero source. */
    static void scan(Exec x, boolean forward) {
        int sz = 1 + x.o32();
        int v = x.readRM(sz);
        int f = x.flagsValue();
        if (v == 0) {
            x.flags = f | ZF;
        } else {
            x.flags = f & ~ZF;
            int bit = forward ? Integer.numberOfTrailingZeros(v) : 31 - Integer.numberOfLeadingZeros(v);
            x.setReg(sz, x.regField(), bit);
        }
    }
}
