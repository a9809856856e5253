package io.amiforge.x86.bios;

import io.amiforge.x86.cpu.Cpu;

/**
 * COM1, through INT 14h and its ports 3F8h-3FFh: a transmitted byte goes to the
 * {@link Console}; the line is always ready (line status 60h, modem status B0h), nothing is
 * ever received. Its one piece of state, the line control register (whose DLAB bit turns
 * 3F8h into the divisor latch, which swallows the byte), is kept in {@link PortState}.
 */
final class Int14Serial {

    static final int BASE = 0x3F8;
    private static final int DATA = BASE, LINE_CONTROL = BASE + 3, LINE_STATUS = BASE + 5, MODEM_STATUS = BASE + 6;
    private static final int DLAB = 0x80;
    private static final int TRANSMITTER_EMPTY = 0x60;

    private final Console console;
    private final PortState ports;

    Int14Serial(Console console, PortState ports) {
        this.console = console;
        this.ports = ports;
    }

    // AH=01h transmit AL (AH = line status); anything else reports the line status in AX
    void serve(Cpu c) {
        if (c.reg8(4) == 0x01) {
            console.put(c.reg8(0));
            c.setReg8(4, TRANSMITTER_EMPTY);
        } else {
            c.setReg16(Cpu.EAX, TRANSMITTER_EMPTY << 8);
        }
    }

    /** Whether {@code port} is one of COM1's eight. */
    static boolean owns(int port) {
        return port >= BASE && port < BASE + 8;
    }

    int in(int port) {
        return switch (port) {
            case LINE_CONTROL -> ports.serialLineControl;
            case LINE_STATUS -> TRANSMITTER_EMPTY;
            case MODEM_STATUS -> 0xB0;
            case DATA -> 0;
            default -> IoPorts.OPEN_BUS;
        };
    }

    void out(int port, int value) {
        if (port == DATA && (ports.serialLineControl & DLAB) == 0) {
            console.put(value);
        } else if (port == LINE_CONTROL) {
            ports.serialLineControl = value & 0xFF;
        }
    }
}
