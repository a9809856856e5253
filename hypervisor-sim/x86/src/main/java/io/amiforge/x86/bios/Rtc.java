package io.amiforge.x86.bios;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * The MC146818 real-time clock and its CMOS RAM (ports 70h index, 71h data; bit 7 of the index
 * is the NMI mask and is ignored). The clock reads the power-on time (UTC) plus the virtual
 * time run since ({@link Pit#INSTRUCTIONS_PER_SECOND}), in BCD and 24-hour form as status
 * register B says (the guest may switch to binary or 12-hour form); status A's update-in-
 * progress bit is set for the last 244 us of every virtual second. The CMOS holds what a PC
 * BIOS leaves there: base memory (15h/16h), extended memory in KiB (17h/18h and 30h/31h, at
 * most 65535), memory above 16 MiB in 64 KiB units (34h/35h), no floppy, the century (32h).
 * Other bytes from 0Eh up are plain RAM; writes to the clock registers are ignored (the
 * guest cannot set the host's time).
 */
final class Rtc {

    private static final int SECONDS = 0x00, MINUTES = 0x02, HOURS = 0x04, WEEKDAY = 0x06, DAY = 0x07, MONTH = 0x08,
            YEAR = 0x09, STATUS_A = 0x0A, STATUS_B = 0x0B, STATUS_C = 0x0C, STATUS_D = 0x0D, CENTURY = 0x32;
    private static final int B_BINARY = 0x04, B_24H = 0x02;
    /** Instructions of the update cycle at the end of every second (244 us). */
    private static final long UPDATE_INSTRUCTIONS = Pit.INSTRUCTIONS_PER_SECOND * 244 / 1_000_000;

    private final byte[] ram = new byte[128];
    private final long powerOnSecond;
    private int index;

    /** A clock that read {@code powerOn} at power-on, in a machine of {@code memoryBytes}. */
    Rtc(Instant powerOn, long memoryBytes) {
        this.powerOnSecond = powerOn.getEpochSecond();
        ram[STATUS_A] = 0x26; // 32.768 kHz time base, 1024 Hz periodic rate
        ram[STATUS_B] = B_24H;
        ram[STATUS_D] = (byte) 0x80; // battery good
        int baseKb = 640;
        ram[0x15] = (byte) baseKb;
        ram[0x16] = (byte) (baseKb >>> 8);
        long extKb = Math.min(0xFFFF, Math.max(0, (memoryBytes >> 10) - 1024));
        ram[0x17] = ram[0x30] = (byte) extKb;
        ram[0x18] = ram[0x31] = (byte) (extKb >>> 8);
        long above16 = Math.min(0xFFFF, Math.max(0, (memoryBytes - (16L << 20)) >> 16));
        ram[0x34] = (byte) above16;
        ram[0x35] = (byte) (above16 >>> 8);
    }

    void selectIndex(int value) {
        index = value & 0x7F;
    }

    /** Reads the selected register at virtual time {@code now} (an instruction count). */
    int read(long now) {
        return switch (index) {
            case SECONDS, MINUTES, HOURS, WEEKDAY, DAY, MONTH, YEAR, CENTURY -> clock(index, now);
            case STATUS_A -> (ram[STATUS_A] & 0x7F) | (updateInProgress(now) ? 0x80 : 0);
            case STATUS_C -> {
                int v = ram[STATUS_C] & 0xFF;
                ram[STATUS_C] = 0; // reading C acknowledges
                yield v;
            }
            default -> ram[index] & 0xFF;
        };
    }

    /** Writes the selected register (clock and read-only registers ignore it). */
    void write(int value) {
        switch (index) {
            case SECONDS, MINUTES, HOURS, WEEKDAY, DAY, MONTH, YEAR, CENTURY, STATUS_C, STATUS_D -> { }
            case STATUS_A -> ram[STATUS_A] = (byte) ((ram[STATUS_A] & 0x80) | (value & 0x7F));
            default -> ram[index] = (byte) value;
        }
    }

    /** The date and time the clock shows at {@code now}. */
    LocalDateTime time(long now) {
        return LocalDateTime.ofEpochSecond(powerOnSecond + now / Pit.INSTRUCTIONS_PER_SECOND, 0, ZoneOffset.UTC);
    }

    private boolean updateInProgress(long now) {
        return now % Pit.INSTRUCTIONS_PER_SECOND >= Pit.INSTRUCTIONS_PER_SECOND - UPDATE_INSTRUCTIONS;
    }

    private int clock(int reg, long now) {
        LocalDateTime t = time(now);
        int b = ram[STATUS_B];
        int v = switch (reg) {
            case SECONDS -> t.getSecond();
            case MINUTES -> t.getMinute();
            case HOURS -> t.getHour();
            case WEEKDAY -> t.getDayOfWeek().getValue() % 7 + 1; // 1 = Sunday
            case DAY -> t.getDayOfMonth();
            case MONTH -> t.getMonthValue();
            case YEAR -> t.getYear() % 100;
            default -> t.getYear() / 100;
        };
        boolean pm = false;
        if (reg == HOURS && (b & B_24H) == 0) {
            pm = v >= 12;
            v = v % 12 == 0 ? 12 : v % 12;
        }
        int out = (b & B_BINARY) != 0 ? v : bcd(v);
        return pm ? out | 0x80 : out;
    }

    static int bcd(int v) {
        return (v / 10) << 4 | (v % 10);
    }
}
