package io.amiforge.x86.bios;

import io.amiforge.x86.cpu.Cpu;
import io.amiforge.x86.cpu.Memory;

/**
 * INT 10h, video in 80x25 text mode 3: characters the guest writes (teletype, write
 * character, write string) go to the {@link Console}; mode, cursor and page requests keep
 * their state in the {@link BiosDataArea}, where guests also read it; font, EGA and display
 * combination queries answer as a VGA would; other functions do nothing. Every character
 * written costs one instruction of the {@link RunBudget}.
 */
final class Int10Video {

    /** Most characters one write-character (AH=09h/0Ah) call prints: a full screen. */
    static final int MAX_REPEAT = BiosDataArea.COLUMNS * BiosDataArea.ROWS;
    /** Most characters one write-string (AH=13h) call prints. */
    static final int MAX_STRING = 4096;

    private final Memory mem;
    private final BiosDataArea bda;
    private final Console console;
    private final RunBudget budget;

    Int10Video(Memory mem, BiosDataArea bda, Console console, RunBudget budget) {
        this.mem = mem;
        this.bda = bda;
        this.console = console;
        this.budget = budget;
    }

    void serve(Cpu c) {
        int ah = c.reg8(4), al = c.reg8(0);
        switch (ah) {
            case 0x00 -> {
                bda.setVideoMode(al & 0x7F);
                bda.setCursor(0, 0);
            }
            case 0x01 -> bda.setCursorShape(c.reg16(Cpu.ECX));
            case 0x02 -> bda.setCursor(c.reg8(7), c.reg16(Cpu.EDX));
            case 0x03 -> {
                c.setReg16(Cpu.EDX, bda.cursor(c.reg8(7)));
                c.setReg16(Cpu.ECX, bda.cursorShape());
            }
            case 0x05 -> bda.setActivePage(al);
            case 0x08 -> c.setReg16(Cpu.EAX, 0x0720); // a blank in light grey on black
            case 0x09, 0x0A -> {
                int n = Math.min(c.reg16(Cpu.ECX), MAX_REPEAT);
                budget.charge(c, n);
                for (int i = 0; i < n; i++) {
                    console.put(al);
                }
            }
            case 0x0E -> {
                budget.charge(c, 1);
                console.put(al);
                advanceCursor(al);
            }
            case 0x0F -> {
                c.setReg8(0, bda.videoMode());
                c.setReg8(4, BiosDataArea.COLUMNS);
                c.setReg8(7, bda.activePage());
            }
            case 0x11 -> {
                if (al == 0x30) { // font information: 16-line characters, 25 rows
                    c.setReg16(Cpu.ECX, 16);
                    c.setReg8(2, BiosDataArea.ROWS - 1);
                }
            }
            case 0x12 -> {
                if (c.reg8(3) == 0x10) { // EGA information: colour, 256 KiB
                    c.setReg16(Cpu.EBX, 0x0003);
                    c.setReg16(Cpu.ECX, 0x0009);
                }
            }
            case 0x13 -> writeString(c);
            case 0x1A -> {
                if (al == 0) { // display combination: VGA with colour display
                    c.setReg8(0, 0x1A);
                    c.setReg16(Cpu.EBX, 0x0008);
                }
            }
            default -> { }
        }
    }

    // teletype moves the cursor of page 0: CR to column 0, LF down, BS left, wrap at column 80
    private void advanceCursor(int ch) {
        int pos = bda.cursor(0);
        int row = pos >>> 8, col = pos & 0xFF;
        int lastRow = BiosDataArea.ROWS - 1;
        if (ch == '\n') {
            row = Math.min(row + 1, lastRow);
        } else if (ch == '\r') {
            col = 0;
        } else if (ch == 8) {
            col = Math.max(0, col - 1);
        } else if (++col >= BiosDataArea.COLUMNS) {
            col = 0;
            row = Math.min(row + 1, lastRow);
        }
        bda.setCursor(0, row << 8 | col);
    }

    // AH=13h: CX characters at ES:BP; AL bit 1 set means character/attribute pairs
    private void writeString(Cpu c) {
        int mode = c.reg8(0);
        int n = Math.min(c.reg16(Cpu.ECX), MAX_STRING);
        budget.charge(c, n);
        long at = (c.seg(Cpu.ES) << 4) + (long) c.reg16(Cpu.EBP);
        int stride = (mode & 2) != 0 ? 2 : 1;
        for (int i = 0; i < n; i++) {
            console.put(mem.read8(at));
            at += stride;
        }
    }
}
