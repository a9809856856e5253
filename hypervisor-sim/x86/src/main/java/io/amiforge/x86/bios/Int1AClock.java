package io.amiforge.x86.bios;

import io.amiforge.x86.cpu.Cpu;
import io.amiforge.x86.cpu.Memory;
import java.time.LocalDateTime;

/**
 * Time of day: INT 08h, the BIOS's IRQ 0 handler (counts a tick at 0040:006C, about 18.2 a
 * second from the PIT as POST programs it, sets the midnight flag when the count wraps, and
 * sends the master PIC its EOI, then continues in the guest's INT 1Ch handler when one is hooked), and INT 1Ah: 00h read ticks (AL = the
 * midnight flag, cleared), 01h set ticks, 02h RTC time, 04h RTC date, both in BCD from the
 * {@link Rtc}; 03h and 05h (set RTC) are accepted and ignored; others CF=1.
 */
final class Int1AClock {

    private static final int USER_TICK = 0x1C;

    private final BiosDataArea bda;
    private final Rtc rtc;
    private final Pic pic;

    Int1AClock(BiosDataArea bda, Rtc rtc, Pic pic) {
        this.bda = bda;
        this.rtc = rtc;
        this.pic = pic;
    }

    /** INT 08h: one timer tick. */
    void timerInterrupt(Cpu c) {
        bda.tick();
        pic.endOfInterruptMaster();
        // INT 1Ch, the user timer tick: SYSLINUX counts its timeouts there. Only a hooked vector is
        // chained (the BIOS's own 1Ch handler does nothing)
        Memory mem = c.memory();
        if (mem.read16(USER_TICK * 4L) != Cpu.BIOS_TRAP_OFFSET + USER_TICK || mem.read16(USER_TICK * 4L + 2) != Cpu.BIOS_SEGMENT) {
            c.chainToVector(USER_TICK);
        }
    }

    void serve(Cpu c) {
        switch (c.reg8(4)) {
            case 0x00 -> {
                long t = bda.ticks();
                c.setReg16(Cpu.ECX, (int) (t >>> 16));
                c.setReg16(Cpu.EDX, (int) t);
                c.setReg8(0, bda.takeMidnightFlag());
            }
            case 0x01 -> bda.setTicks((long) c.reg16(Cpu.ECX) << 16 | c.reg16(Cpu.EDX));
            case 0x02 -> {
                LocalDateTime t = rtc.time(c.instructions());
                c.setReg8(5, Rtc.bcd(t.getHour()));
                c.setReg8(1, Rtc.bcd(t.getMinute()));
                c.setReg8(6, Rtc.bcd(t.getSecond()));
                c.setReg8(2, 0);
                c.setFlag(Cpu.CF, false);
            }
            case 0x04 -> {
                LocalDateTime t = rtc.time(c.instructions());
                c.setReg8(5, Rtc.bcd(t.getYear() / 100));
                c.setReg8(1, Rtc.bcd(t.getYear() % 100));
                c.setReg8(6, Rtc.bcd(t.getMonthValue()));
                c.setReg8(2, Rtc.bcd(t.getDayOfMonth()));
                c.setFlag(Cpu.CF, false);
            }
            case 0x03, 0x05 -> c.setFlag(Cpu.CF, false);
            default -> c.setFlag(Cpu.CF, true);
        }
    }
}
