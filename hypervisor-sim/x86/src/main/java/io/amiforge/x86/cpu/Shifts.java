package io.amiforge.x86.cpu;

import static io.amiforge.x86.cpu.Cpu.*;
import static io.amiforge.x86.cpu.CpuState.*;

/**
 * Rotates and shifts: group 2 (ROL ROR RCL RCR SHL SHR SAR by 1, CL or imm8; counts masked to 5
 * bits as on the 386) and SHLD/SHRD. Flags are computed eagerly.
 */
final class Shifts {

    private Shifts() {
    }

    static int shift(Exec x, int kind, int sz, int v, int count) {
        count &= 31;
        int m = mask(sz), bits = msb(sz) + 1, msb = msb(sz);
        v &= m;
        if (count == 0) {
            return v;
        }
        int res;
        switch (kind) {
            case 0, 1 -> { // ROL, ROR
                int n = count % bits;
                if (kind == 0) {
                    res = n == 0 ? v : ((v << n) | (v >>> (bits - n))) & m;
                    int cf = res & 1;
                    x.flags = (x.flagsValue() & ~(CF | OF)) | cf | ((((res >>> msb) & 1) ^ cf) << 11);
                } else {
                    res = n == 0 ? v : ((v >>> n) | (v << (bits - n))) & m;
                    int cf = (res >>> msb) & 1;
                    int of = cf ^ ((res >>> (msb - 1)) & 1);
                    x.flags = (x.flagsValue() & ~(CF | OF)) | cf | (of << 11);
                }
                return res;
            }
            case 2, 3 -> { // RCL, RCR
                int n = count % (bits + 1);
                int f = x.flagsValue();
                long wide = ((long) (f & CF) << bits) | (v & 0xFFFFFFFFL);
                long wm = (1L << (bits + 1)) - 1;
                if (n != 0) {
                    if (kind == 2) {
                        wide = ((wide << n) | (wide >>> (bits + 1 - n))) & wm;
                    } else {
                        wide = ((wide >>> n) | (wide << (bits + 1 - n))) & wm;
                    }
                }
                res = (int) wide & m;
                int cf = (int) (wide >>> bits) & 1;
                int of = kind == 2 ? ((res >>> msb) & 1) ^ cf : ((res >>> msb) ^ (res >>> (msb - 1))) & 1;
                x.flags = (f & ~(CF | OF)) | cf | (of << 11);
                return res;
            }
            case 4, 6 -> { // SHL/SAL
                long wide = (v & 0xFFFFFFFFL) << count;
                res = (int) wide & m;
                int cf = (int) (wide >>> bits) & 1;
                int of = ((res >>> msb) & 1) ^ cf;
                x.setSZP(sz, res, cf | (of << 11));
                return res;
            }
            case 5 -> { // SHR
                res = count >= 32 ? 0 : v >>> count;
                int cf = (v >>> (count - 1)) & 1;
                int of = (v >>> msb) & 1;
                x.setSZP(sz, res, cf | (of << 11));
                return res;
            }
            default -> { // SAR
                int sx = (v << (31 - msb)) >> (31 - msb);
                res = (sx >> Math.min(count, 31)) & m;
                int cf = (sx >> Math.min(count - 1, 31)) & 1;
                x.setSZP(sz, res, cf);
                return res;
            }
        }
    }

    static int shiftDouble(Exec x, boolean left, int sz, int dst, int src, int count) {
        count &= 31;
        int m = mask(sz), bits = msb(sz) + 1, msb = msb(sz);
        dst &= m;
        src &= m;
        if (count == 0) {
            return dst;
        }
        int res, cf;
        if (left) {
            long wide = ((dst & 0xFFFFFFFFL) << bits) | (src & 0xFFFFFFFFL);
            if (bits == 16) {
                wide = (wide << 16) | (dst & 0xFFFFL); // 16-bit counts above 16 rotate through dst again
            }
            long shifted = wide << count;
            int total = bits == 16 ? 48 : 64;
            res = (int) (shifted >>> (total - bits)) & m;
            cf = (int) (wide >>> (total - count)) & 1;
        } else {
            long wide = ((src & 0xFFFFFFFFL) << bits) | (dst & 0xFFFFFFFFL);
            res = (int) (wide >>> count) & m;
            cf = (int) (wide >>> (count - 1)) & 1;
        }
        int of = (((res ^ dst) >>> msb) & 1);
        x.setSZP(sz, res, cf | (of << 11));
        return res;
    }

    /** Group 2 (C0/C1 by imm8, D0/D1 by 1, D2/D3 by CL): the rotate or shift in ModR/M.reg. */
    static void group2(Exec x, int op) {
        int sz = (op & 1) == 0 ? 0 : 1 + x.o32();
        int count = op < 0xD0 ? x.imm() : op < 0xD2 ? 1 : x.r[ECX] & 0xFF;
        x.writeRM(sz, shift(x, x.regField(), sz, x.readRM(sz), count));
    }

    /** SHLD/SHRD Ev,Gv by imm8 ({@code byCl} false) or CL. */
    static void doubleRM(Exec x, boolean left, boolean byCl) {
        int sz = 1 + x.o32();
        int count = byCl ? x.r[ECX] : x.imm();
        x.writeRM(sz, shiftDouble(x, left, sz, x.readRM(sz), x.getReg(sz, x.regField()), count));
    }
}
