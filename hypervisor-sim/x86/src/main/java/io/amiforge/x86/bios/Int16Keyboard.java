package io.amiforge.x86.bios;

import io.amiforge.x86.cpu.Cpu;
import io.amiforge.x86.cpu.StopReason;

/**
 * INT 16h, the keyboard, served from the scripted {@link Keyboard}: read key (00h/10h), peek
 * (01h/11h, ZF=1 when none), shift flags (02h in AL, 12h in AX; none held), store key (05h). A read with
 * the script empty, or more than {@link #MAX_EMPTY_POLLS} empty peeks in a row, stops the run
 * as {@code halted}: no key will ever come.
 */
final class Int16Keyboard {

    /** Empty peeks in a row after which the guest is taken to wait forever. */
    static final long MAX_EMPTY_POLLS = 1_000_000;

    private final Keyboard keyboard;

    Int16Keyboard(Keyboard keyboard) {
        this.keyboard = keyboard;
    }

    void serve(Cpu c) {
        switch (c.reg8(4)) {
            case 0x00, 0x10 -> {
                if (!keyboard.hasKey()) {
                    c.stop(StopReason.HALTED, "waiting for a keystroke (INT 16h) and the keyboard script is empty");
                }
                c.setReg16(Cpu.EAX, keyboard.take());
                keyboard.notePoll(true);
            }
            case 0x01, 0x11 -> {
                boolean found = keyboard.hasKey();
                keyboard.notePoll(found);
                c.setFlag(Cpu.ZF, !found);
                if (found) {
                    c.setReg16(Cpu.EAX, keyboard.peek());
                } else if (keyboard.emptyPolls() > MAX_EMPTY_POLLS) {
                    c.stop(StopReason.HALTED, "polling the keyboard (INT 16h) with the keyboard script empty");
                }
            }
            case 0x02 -> c.setReg8(0, 0); // AL: shift flags, none held
            // AL: shift flags, AH: extended shift flags, none held (SYSLINUX reads AH's bits 1 and 3 as Alt held)
            case 0x12 -> c.setReg16(Cpu.EAX, 0);
            case 0x05 -> {
                keyboard.push(c.reg16(Cpu.ECX));
                c.setReg8(0, 0);
            }
            default -> { }
        }
    }
}
