package io.amiforge.x86.bios;

import io.amiforge.x86.cpu.Cpu;
import io.amiforge.x86.cpu.Memory;

/**
 * INT 10h, video in 80x25 colour text mode 3: teletype, write character (with or without
 * attribute), write string, scroll, read character and clear on mode set, all on the
 * {@link VgaText} screen in guest memory (never on the serial console); mode, cursor and page
 * state live in the {@link BiosDataArea}, where guests also read it; font, EGA and display
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
    private final VgaText screen;
    private final RunBudget budget;

    Int10Video(Memory mem, BiosDataArea bda, VgaText screen, RunBudget budget) {
        this.mem = mem;
        this.bda = bda;
        this.screen = screen;
        this.budget = budget;
    }

    void serve(Cpu c) {
        int ah = c.reg8(4), al = c.reg8(0), bh = c.reg8(7);
        switch (ah) {
            case 0x00 -> {
                bda.setVideoMode(al & 0x7F);
                bda.setActivePage(0);
                for (int page = 0; page < 8; page++) {
                    bda.setCursor(page, 0);
                }
                if ((al & 0x80) == 0) {
                    screen.clear();
                }
            }
            case 0x01 -> bda.setCursorShape(c.reg16(Cpu.ECX));
            case 0x02 -> bda.setCursor(bh, c.reg16(Cpu.EDX));
            case 0x03 -> {
                c.setReg16(Cpu.EDX, bda.cursor(bh));
                c.setReg16(Cpu.ECX, bda.cursorShape());
            }
            case 0x05 -> bda.setActivePage(al & 7);
            case 0x06, 0x07 -> screen.scroll(bda.activePage(), al, bh, c.reg8(5), c.reg8(1), c.reg8(6), c.reg8(2),
                    ah == 0x06);
            case 0x08 -> c.setReg16(Cpu.EAX, screen.readAtCursor(bh));
            case 0x09, 0x0A -> {
                int n = Math.min(c.reg16(Cpu.ECX), MAX_REPEAT);
                budget.charge(c, n);
                screen.writeAtCursor(bh, al, ah == 0x09 ? c.reg8(3) : -1, n);
            }
            case 0x0E -> {
                budget.charge(c, 1);
                screen.teletype(bda.activePage(), al, -1);
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

    // AH=13h: CX characters at ES:BP from row DH, column DL of page BH; AL bit 0: the cursor
    // follows, bit 1: the string is character/attribute pairs (else every character gets BL)
    private void writeString(Cpu c) {
        int mode = c.reg8(0), page = c.reg8(7);
        int n = Math.min(c.reg16(Cpu.ECX), MAX_STRING);
        budget.charge(c, n);
        long at = (c.seg(Cpu.ES) << 4) + (long) c.reg16(Cpu.EBP);
        int saved = bda.cursor(page);
        bda.setCursor(page, c.reg16(Cpu.EDX));
        boolean pairs = (mode & 2) != 0;
        for (int i = 0; i < n; i++) {
            int ch = mem.read8(at++);
            int attribute = pairs ? mem.read8(at++) : c.reg8(3);
            screen.teletype(page, ch, attribute);
        }
        if ((mode & 1) == 0) {
            bda.setCursor(page, saved);
        }
    }
}
