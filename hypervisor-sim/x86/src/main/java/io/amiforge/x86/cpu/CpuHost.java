package io.amiforge.x86.cpu;

/**
 * What the CPU asks of the machine around it: I/O ports, BIOS services (an interrupt vector
 * whose IVT entry still points at the BIOS stub), and notice of events the machine may want to
 * stop on. Any callback may end the run with {@link Cpu#stop(StopReason, String)}.
 */
public interface CpuHost {

    /** A machine with nothing attached: every port reads all ones, writes and BIOS calls do nothing. */
    CpuHost NONE = new CpuHost() {
        @Override
        public int in(int port, int size) {
            return 0xFF;
        }

        @Override
        public void out(int port, int size, int value) {
        }

        @Override
        public void bios(int vector, Cpu cpu) {
        }
    };

    /** IN from {@code port}; {@code size} is 1, 2 or 4 bytes. */
    int in(int port, int size);

    /** OUT to {@code port}. */
    void out(int port, int size, int value);

    /**
     * The guest reached the BIOS stub of {@code vector} (through INT n, a fault, or a far call
     * into the stub); on return the CPU performs the stub's IRET, keeping CF and ZF as the
     * service left them. A vector of {@link Cpu#RESET_VECTOR} means a jump to the reset vector.
     */
    void bios(int vector, Cpu cpu);

    /**
     * The CPU is about to run code at physical address {@code phys} that is the entry of a
     * Linux real-mode setup (a jump over a setup header whose "HdrS" magic sits two bytes on).
     * Called once per decode of that address.
     */
    default void kernelEntry(int phys, Cpu cpu) {
    }

    /**
     * The CPU is about to decode 32-bit protected-mode code at physical address {@code phys}
     * (once per decode of that address, not per execution): where a loader enters a Linux
     * kernel through the 32-bit boot protocol (ESI pointing at boot_params).
     */
    default void codeEntry32(int phys, Cpu cpu) {
    }

    /**
     * Brings the machine's timers up to virtual time {@code now} (the CPU's instruction count),
     * raising the interrupt requests that came due; returns the instruction count at which the
     * next one will ({@link Long#MAX_VALUE}: none scheduled). The CPU calls it at that count, and
     * soon after the guest enables interrupts or writes a port.
     */
    default long advanceTo(long now) {
        return Long.MAX_VALUE;
    }

    /**
     * Acknowledges the highest-priority interrupt request the CPU may take now (the CPU asks
     * only with IF set) and returns its vector, or -1 when none is pending.
     */
    default int acknowledgeInterrupt() {
        return -1;
    }
}
