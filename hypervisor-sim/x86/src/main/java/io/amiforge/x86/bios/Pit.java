package io.amiforge.x86.bios;

/**
 * The 8254 programmable interval timer (ports 40h-43h), its three channels counting the 1.193182
 * MHz input clock in virtual time: one count every {@link #INSTRUCTIONS_PER_COUNT} instructions
 * (so the virtual CPU runs about 19.1 million instructions a second). Modes 0-5, LSB/MSB/word
 * access with the read/write flip-flop, counter latch (control word 00b) and read-back (11b),
 * binary counting (BCD is accepted and counted in binary). Channel 0's output drives IRQ 0
 * ({@link #pollIrq0}); channel 2's gate is port 61h bit 0 and its output is read at port 61h
 * bit 5 (what loaders use to wait a fixed time). Channel 1 counts but is connected to nothing.
 *
 * <p>Each channel remembers when it started counting and works out its count and output from
 * the instruction count it is asked about: nothing ticks per instruction.
 */
final class Pit {

    /** Instructions per count of the 1.193182 MHz PIT clock. */
    static final long INSTRUCTIONS_PER_COUNT = 16;
    /** The PIT's input clock in Hz. */
    static final long CLOCK_HZ = 1_193_182L;
    /** Instructions per virtual second. */
    static final long INSTRUCTIONS_PER_SECOND = CLOCK_HZ * INSTRUCTIONS_PER_COUNT;

    private final Channel[] channels = {new Channel(true), new Channel(true), new Channel(false)};

    /** One counter: its programming and when it started. */
    private static final class Channel {
        int mode, access = 3, reload = 0x10000;
        boolean armed, lowWritten, readHigh, writeHigh, gate;
        /** Counts accumulated before the current run; instruction count the run started at (-1 paused). */
        long countedBefore, runningSince = -1;
        int latch = -1, latchHighPending, statusLatch = -1;
        /** The low byte of a two-byte count, held until the high byte loads it (the running count keeps its reload). */
        int pendingLow;
        /** For channel 0: the number of periods whose IRQ has been raised. */
        long irqsRaised;
        boolean nullCount = true;

        Channel(boolean gate) {
            this.gate = gate;
        }

        long elapsed(long now) {
            return countedBefore + (runningSince < 0 ? 0 : (now - runningSince) / INSTRUCTIONS_PER_COUNT);
        }

        void start(long now) {
            countedBefore = 0;
            irqsRaised = 0;
            runningSince = gate ? now : -1;
            nullCount = false;
        }

        boolean periodic() {
            return (mode & 3) == 2 || (mode & 3) == 3;
        }

        int count(long now) {
            if (!armed) {
                return 0;
            }
            long e = elapsed(now);
            if (periodic()) {
                long phase = e % reload;
                return mode == 3 || mode == 7 ? (int) ((reload - 2 * (phase % ((reload + 1) / 2))) & 0xFFFF)
                        : (int) (reload - phase) & 0xFFFF;
            }
            return (int) ((reload - e) & 0xFFFF);
        }

        boolean output(long now) {
            if (!armed) {
                return mode != 0;
            }
            long e = elapsed(now);
            return switch (mode) {
                case 0, 1 -> e >= reload;
                case 2, 6 -> e % reload != reload - 1;
                case 3, 7 -> e % reload < (reload + 1) / 2;
                default -> e != reload; // 4, 5: one low count at the terminal count
            };
        }
    }

    /** Reads port 40h-42h (a counter, through its latch if one is held) or 43h (reads as open bus). */
    int read(int port, long now) {
        if (port == 0x43) {
            return 0xFF;
        }
        Channel ch = channels[port & 3];
        if (ch.statusLatch >= 0) {
            int s = ch.statusLatch;
            ch.statusLatch = -1;
            return s;
        }
        int v;
        if (ch.latch >= 0) {
            v = ch.latch;
        } else {
            v = ch.count(now);
        }
        int out;
        switch (ch.access) {
            case 1 -> {
                out = v & 0xFF;
                ch.latch = -1;
            }
            case 2 -> {
                out = (v >>> 8) & 0xFF;
                ch.latch = -1;
            }
            default -> {
                out = ch.readHigh ? (v >>> 8) & 0xFF : v & 0xFF;
                if (ch.readHigh) {
                    ch.latch = -1;
                }
                ch.readHigh = !ch.readHigh;
            }
        }
        return out;
    }

    /** Writes port 40h-42h (a count) or 43h (a control word). */
    void write(int port, int value, long now) {
        value &= 0xFF;
        if (port == 0x43) {
            control(value, now);
            return;
        }
        Channel ch = channels[port & 3];
        switch (ch.access) {
            case 1 -> load(ch, value, now);
            case 2 -> load(ch, value << 8, now);
            default -> {
                if (!ch.writeHigh) {
                    ch.lowWritten = true;
                    ch.pendingLow = value;
                    ch.writeHigh = true;
                    if (ch.mode == 0) { // writing the first byte stops a mode 0 count
                        ch.armed = false;
                    }
                } else {
                    ch.writeHigh = false;
                    load(ch, ch.pendingLow | value << 8, now);
                }
            }
        }
    }

    private static void load(Channel ch, int count, long now) {
        ch.reload = (count & 0xFFFF) == 0 ? 0x10000 : count & 0xFFFF;
        ch.armed = true;
        ch.start(now);
    }

    private void control(int value, long now) {
        int sel = value >>> 6;
        if (sel == 3) { // read-back: bit 5 clear latches counts, bit 4 clear latches status
            for (int i = 0; i < 3; i++) {
                if ((value & (2 << i)) != 0) {
                    Channel ch = channels[i];
                    if ((value & 0x20) == 0 && ch.latch < 0) {
                        ch.latch = ch.count(now);
                        ch.readHigh = false;
                    }
                    if ((value & 0x10) == 0 && ch.statusLatch < 0) {
                        ch.statusLatch = (ch.output(now) ? 0x80 : 0) | (ch.nullCount ? 0x40 : 0) | ch.access << 4
                                | ch.mode << 1;
                    }
                }
            }
            return;
        }
        Channel ch = channels[sel];
        int access = (value >>> 4) & 3;
        if (access == 0) { // counter latch
            if (ch.latch < 0) {
                ch.latch = ch.count(now);
                ch.readHigh = false;
            }
            return;
        }
        ch.access = access;
        ch.mode = (value >>> 1) & 7;
        ch.armed = false;
        ch.nullCount = true;
        ch.readHigh = false;
        ch.writeHigh = false;
        ch.latch = -1;
        ch.irqsRaised = 0;
    }

    /** Sets channel 2's gate (port 61h bit 0): a rising edge starts or restarts its count. */
    void setGate2(boolean high, long now) {
        Channel ch = channels[2];
        if (high == ch.gate) {
            return;
        }
        ch.gate = high;
        if (!ch.armed) {
            return;
        }
        if (high) {
            if (ch.mode == 1 || ch.mode == 5 || ch.periodic()) {
                ch.countedBefore = 0; // a rising gate triggers these modes afresh
            }
            ch.runningSince = now;
        } else {
            ch.countedBefore = ch.elapsed(now);
            ch.runningSince = -1;
        }
    }

    /** Channel 2's output (port 61h bit 5). */
    boolean output2(long now) {
        return channels[2].output(now);
    }

    /**
     * Whether channel 0's output has had a rising edge (IRQ 0) since the last poll: once per
     * period in modes 2 and 3, once at the terminal count in modes 0 and 4. Edges missed
     * between polls coalesce into one, as in the 8259's request register.
     */
    boolean pollIrq0(long now) {
        Channel ch = channels[0];
        if (!ch.armed || ch.runningSince < 0) {
            return false;
        }
        long e = ch.elapsed(now);
        long edges = ch.periodic() ? e / ch.reload : e >= ch.reload ? 1 : 0;
        if (edges > ch.irqsRaised) {
            ch.irqsRaised = edges;
            return true;
        }
        return false;
    }

    /** The instruction count at which channel 0 next raises IRQ 0, or {@link Long#MAX_VALUE}. */
    long nextIrq0(long now) {
        Channel ch = channels[0];
        if (!ch.armed || ch.runningSince < 0) {
            return Long.MAX_VALUE;
        }
        long edge;
        if (ch.periodic()) {
            edge = (ch.irqsRaised + 1) * ch.reload;
        } else if (ch.irqsRaised == 0) {
            edge = ch.reload;
        } else {
            return Long.MAX_VALUE;
        }
        return ch.runningSince + (edge - ch.countedBefore) * INSTRUCTIONS_PER_COUNT;
    }
}
