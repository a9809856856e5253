package io.amiforge.x86.bios;

import io.amiforge.x86.cpu.Cpu;

/**
 * INT 1Ah, time of day. There is no timer interrupt: the tick count follows the instruction
 * count, one tick per {@link #INSTRUCTIONS_PER_TICK} instructions since boot (at midnight of
 * 2020-01-01); the same count is kept at 0040:006C by {@link #sync}. Functions: 00h ticks,
 * 02h RTC time, 04h RTC date; 01h, 03h, 05h (set) are accepted and ignored; others CF=1.
 */
final class Int1AClock {

    /** Instructions per timer tick (about 18.2 ticks a second at 18.2 million instructions a second). */
    static final long INSTRUCTIONS_PER_TICK = 1_000_000L;

    private final BiosDataArea bda;

    Int1AClock(BiosDataArea bda) {
        this.bda = bda;
    }

    static long ticks(Cpu c) {
        return c.instructions() / INSTRUCTIONS_PER_TICK;
    }

    /** Brings the tick count at 0040:006C up to the CPU's instruction count. */
    void sync(Cpu c) {
        bda.setTicks(ticks(c));
    }

    void serve(Cpu c) {
        long t = ticks(c) % BiosDataArea.TICKS_PER_DAY;
        switch (c.reg8(4)) {
            case 0x00 -> {
                c.setReg16(Cpu.ECX, (int) (t >>> 16));
                c.setReg16(Cpu.EDX, (int) t);
                c.setReg8(0, 0); // midnight not passed
            }
            case 0x02 -> {
                long secs = ticks(c) * 10 / 182;
                c.setReg8(5, bcd((int) (secs / 3600 % 24)));
                c.setReg8(1, bcd((int) (secs / 60 % 60)));
                c.setReg8(6, bcd((int) (secs % 60)));
                c.setReg8(2, 0);
                c.setFlag(Cpu.CF, false);
            }
            case 0x04 -> {
                c.setReg16(Cpu.ECX, 0x2020);
                c.setReg16(Cpu.EDX, 0x0101);
                c.setFlag(Cpu.CF, false);
            }
            case 0x01, 0x03, 0x05 -> c.setFlag(Cpu.CF, false);
            default -> c.setFlag(Cpu.CF, true);
        }
    }

    private static int bcd(int v) {
        return (v / 10) << 4 | (v % 10);
    }
}
