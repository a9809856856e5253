package io.amiforge.x86.bios;

import io.amiforge.x86.cpu.Cpu;

/**
 * INT 11h (equipment word), INT 12h (conventional memory in KiB) and INT 17h (printer status:
 * none attached, AH=30h), answered from the {@link BiosDataArea} as POST filled it.
 */
final class Equipment {

    private final BiosDataArea bda;

    Equipment(BiosDataArea bda) {
        this.bda = bda;
    }

    void equipment(Cpu c) {
        c.setReg16(Cpu.EAX, bda.equipment());
    }

    void memorySize(Cpu c) {
        c.setReg16(Cpu.EAX, bda.baseMemoryKb());
    }

    void printer(Cpu c) {
        c.setReg8(4, 0x30); // not busy, selected: nothing there to print on
    }
}
