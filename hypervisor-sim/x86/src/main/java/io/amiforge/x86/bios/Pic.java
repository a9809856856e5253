package io.amiforge.x86.bios;

/**
 * The two cascaded 8259A interrupt controllers (master at 20h/21h with IRQ 0-7, slave at
 * A0h/A1h with IRQ 8-15 on the master's IRQ 2): the ICW1-ICW4 initialisation sequence (vector
 * base, auto-EOI), the mask register (OCW1), non-specific and specific EOI (OCW2), reading the
 * request or in-service register (OCW3), edge-triggered requests and fixed priority (IRQ 0
 * highest; a request waits while one of equal or higher priority is in service). Special mask
 * mode, rotation and level triggering are not modelled.
 */
final class Pic {

    private final Chip master = new Chip(0x08), slave = new Chip(0x70);

    /** One 8259A. */
    private static final class Chip {
        int irr, isr, imr = 0xFF, base;
        int initStep;
        boolean needIcw4, autoEoi, readIsr;

        Chip(int base) {
            this.base = base;
        }

        /** The highest-priority request that may interrupt now, or -1. */
        int highest() {
            int pending = irr & ~imr;
            if (pending == 0) {
                return -1;
            }
            int irq = Integer.numberOfTrailingZeros(pending);
            int blocking = isr & ((2 << irq) - 1); // in service at the same or higher priority
            return blocking != 0 ? -1 : irq;
        }

        int read(int port) {
            if ((port & 1) == 1) {
                return imr;
            }
            return readIsr ? isr : irr;
        }

        void write(int port, int v) {
            v &= 0xFF;
            if ((port & 1) == 0) {
                if ((v & 0x10) != 0) { // ICW1
                    initStep = 2;
                    needIcw4 = (v & 1) != 0;
                    imr = 0;
                    isr = 0;
                    irr = 0;
                    readIsr = false;
                    autoEoi = false;
                } else if ((v & 0x08) != 0) { // OCW3
                    if ((v & 2) != 0) {
                        readIsr = (v & 1) != 0;
                    }
                } else { // OCW2
                    int command = v >>> 5;
                    if (command == 1 && isr != 0) { // non-specific EOI
                        isr &= isr - 1;
                    } else if (command == 3) { // specific EOI
                        isr &= ~(1 << (v & 7));
                    }
                }
                return;
            }
            switch (initStep) {
                case 2 -> {
                    base = v & 0xF8;
                    initStep = 3;
                }
                case 3 -> initStep = needIcw4 ? 4 : 0; // ICW3: the cascade is wired as on a PC
                case 4 -> {
                    autoEoi = (v & 2) != 0;
                    initStep = 0;
                }
                default -> imr = v;
            }
        }
    }

    /** Raises (an edge on) IRQ {@code irq} (0-15). */
    void raise(int irq) {
        if (irq < 8) {
            master.irr |= 1 << irq;
        } else {
            slave.irr |= 1 << (irq - 8);
        }
    }

    /**
     * Acknowledges the highest-priority deliverable request (INTA): moves it to in-service
     * (unless auto-EOI) and returns its vector; -1 if none may interrupt now.
     */
    int acknowledge() {
        if (slave.highest() >= 0) {
            master.irr |= 1 << 2;
        }
        int irq = master.highest();
        if (irq < 0) {
            return -1;
        }
        master.irr &= ~(1 << irq);
        if (!master.autoEoi) {
            master.isr |= 1 << irq;
        }
        if (irq != 2) {
            return master.base + irq;
        }
        int s = slave.highest();
        if (s < 0) {
            return master.base + 7; // spurious: the slave's request went away
        }
        slave.irr &= ~(1 << s);
        if (!slave.autoEoi) {
            slave.isr |= 1 << s;
        }
        return slave.base + s;
    }

    /** Whether IRQ {@code irq} (0-7) is masked at the master. */
    boolean masked(int irq) {
        return (master.imr & (1 << irq)) != 0;
    }

    /** A non-specific EOI to the master, as the BIOS's timer handler sends. */
    void endOfInterruptMaster() {
        master.write(0x20, 0x20);
    }

    /** Reads port 20h/21h or A0h/A1h. */
    int read(int port) {
        return port >= 0xA0 ? slave.read(port) : master.read(port);
    }

    /** Writes port 20h/21h or A0h/A1h. */
    void write(int port, int value) {
        if (port >= 0xA0) {
            slave.write(port, value);
        } else {
            master.write(port, value);
        }
    }

    /** Vector bases of master and slave (after POST: 08h and 70h). */
    int masterBase() {
        return master.base;
    }

    int slaveBase() {
        return slave.base;
    }
}
