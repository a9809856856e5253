package io.amiforge.x86.cpu;

import static io.amiforge.x86.cpu.Cpu.*;

/**
 * Multiplication and division: group 3 (TEST/NOT/NEG/MUL/IMUL/DIV/IDIV Ev), the two- and
 * three-operand IMUL. Division by zero or a quotient that does not fit raises INT 0 with the
 * faulting instruction's address pushed.
 */
final class MulDiv {

    private MulDiv() {
    }

    static int imul3(Exec x, int sz, int a, int b) {
        long p;
        int res;
        boolean overflow;
        if (sz == 1) {
            p = (long) (short) a * (short) b;
            res = (int) p & 0xFFFF;
            overflow = p != (short) p;
        } else {
            p = (long) a * (long) b;
            res = (int) p;
            overflow = p != (int) p;
        }
        x.setSZP(sz, res, overflow ? CF | OF : 0);
        return res;
    }

    static void group3(Exec x, int sz) {
        int f = x.regField();
        switch (f) {
            case 0, 1 -> Alu.alu(x, 4, sz, x.readRM(sz), x.imm());
            case 2 -> x.writeRM(sz, ~x.readRM(sz));
            case 3 -> x.writeRM(sz, Alu.alu(x, 5, sz, 0, x.readRM(sz)));
            case 4 -> mul(x, sz, x.readRM(sz));
            case 5 -> imul1(x, sz, x.readRM(sz));
            case 6 -> div(x, sz, x.readRM(sz));
            default -> idiv(x, sz, x.readRM(sz));
        }
    }

    static void mul(Exec x, int sz, int s) {
        switch (sz) {
            case 0 -> {
                int p = (x.r[EAX] & 0xFF) * (s & 0xFF);
                x.setReg(1, EAX, p);
                x.setSZP(0, p, (p >>> 8) != 0 ? CF | OF : 0);
            }
            case 1 -> {
                int p = (x.r[EAX] & 0xFFFF) * (s & 0xFFFF);
                x.setReg(1, EAX, p);
                x.setReg(1, EDX, p >>> 16);
                x.setSZP(1, p, (p >>> 16) != 0 ? CF | OF : 0);
            }
            default -> {
                long p = (x.r[EAX] & 0xFFFFFFFFL) * (s & 0xFFFFFFFFL);
                x.r[EAX] = (int) p;
                x.r[EDX] = (int) (p >>> 32);
                x.setSZP(2, (int) p, x.r[EDX] != 0 ? CF | OF : 0);
            }
        }
    }

    static void imul1(Exec x, int sz, int s) {
        switch (sz) {
            case 0 -> {
                int p = (byte) x.r[EAX] * (byte) s;
                x.setReg(1, EAX, p);
                x.setSZP(0, p, p != (byte) p ? CF | OF : 0);
            }
            case 1 -> {
                int p = (short) x.r[EAX] * (short) s;
                x.setReg(1, EAX, p);
                x.setReg(1, EDX, p >>> 16);
                x.setSZP(1, p, p != (short) p ? CF | OF : 0);
            }
            default -> {
                long p = (long) x.r[EAX] * (long) s;
                x.r[EAX] = (int) p;
                x.r[EDX] = (int) (p >>> 32);
                x.setSZP(2, (int) p, p != (int) p ? CF | OF : 0);
            }
        }
    }

    static void div(Exec x, int sz, int s) {
        switch (sz) {
            case 0 -> {
                int d = s & 0xFF, n = x.r[EAX] & 0xFFFF;
                if (d == 0 || n / d > 0xFF) {
                    x.fault(0);
                }
                x.setReg(1, EAX, (n / d) | (n % d) << 8);
            }
            case 1 -> {
                int d = s & 0xFFFF;
                long n = ((x.r[EDX] & 0xFFFFL) << 16) | (x.r[EAX] & 0xFFFF);
                if (d == 0 || n / d > 0xFFFF) {
                    x.fault(0);
                }
                x.setReg(1, EAX, (int) (n / d));
                x.setReg(1, EDX, (int) (n % d));
            }
            default -> {
                long d = s & 0xFFFFFFFFL;
                long hi = x.r[EDX] & 0xFFFFFFFFL, lo = x.r[EAX] & 0xFFFFFFFFL;
                if (d == 0 || hi >= d) {
                    x.fault(0);
                }
                long n = (hi << 32) | lo; // may be negative as signed: use unsigned ops
                x.r[EAX] = (int) Long.divideUnsigned(n, d);
                x.r[EDX] = (int) Long.remainderUnsigned(n, d);
            }
        }
    }

    static void idiv(Exec x, int sz, int s) {
        switch (sz) {
            case 0 -> {
                int d = (byte) s, n = (short) x.r[EAX];
                if (d == 0) {
                    x.fault(0);
                }
                int q = n / d;
                if (q > 127 || q < -128) {
                    x.fault(0);
                }
                x.setReg(1, EAX, (q & 0xFF) | ((n % d) & 0xFF) << 8);
            }
            case 1 -> {
                int d = (short) s, n = (x.r[EDX] << 16) | (x.r[EAX] & 0xFFFF);
                if (d == 0) {
                    x.fault(0);
                }
                long q = (long) n / d;
                if (q > 32767 || q < -32768) {
                    x.fault(0);
                }
                x.setReg(1, EAX, (int) q);
                x.setReg(1, EDX, (int) ((long) n % d));
            }
            default -> {
                long d = s, n = ((long) x.r[EDX] << 32) | (x.r[EAX] & 0xFFFFFFFFL);
                if (d == 0 || (n == Long.MIN_VALUE && d == -1)) {
                    x.fault(0);
                }
                long q = n / d;
                if (q != (int) q) {
                    x.fault(0);
                }
                x.r[EAX] = (int) q;
                x.r[EDX] = (int) (n % d);
            }
        }
    }
}
