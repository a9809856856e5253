package io.amiforge.x86.bios;

import io.amiforge.x86.cpu.Memory;

/**
 * The colour text screen as the BIOS drives it: 80x25 cells of character and attribute in
 * guest memory at 0xB8000 + 4 KiB per display page, the cursor of each page in the
 * {@link BiosDataArea}. Teletype output (CR, LF, BS and BEL as a terminal treats them,
 * scrolling at the bottom), character writes at the cursor, window scrolls and clearing. The
 * guest may also write the buffer directly; {@link Screen#capture} reads whichever way it got
 * there.
 */
final class VgaText {

    private static final int COLS = BiosDataArea.COLUMNS, ROWS = BiosDataArea.ROWS;
    private static final int PAGE_BYTES = 0x1000;
    /** Attribute of blank cells a scroll or clear leaves: light grey on black. */
    static final int BLANK_ATTRIBUTE = 0x07;

    private final Memory mem;
    private final BiosDataArea bda;

    VgaText(Memory mem, BiosDataArea bda) {
        this.mem = mem;
        this.bda = bda;
    }

    private static long cell(int page, int row, int col) {
        return Screen.VIDEO_MEMORY + (long) (page & 7) * PAGE_BYTES + (row * COLS + col) * 2L;
    }

    /** Blanks every page (mode set). */
    void clear() {
        for (int page = 0; page < 8; page++) {
            scroll(page, 0, BLANK_ATTRIBUTE, 0, 0, ROWS - 1, COLS - 1, true);
        }
    }

    /** Character and attribute at page {@code page}'s cursor, as {@code attribute << 8 | character}. */
    int readAtCursor(int page) {
        int pos = bda.cursor(page);
        int row = Math.min(pos >>> 8, ROWS - 1), col = Math.min(pos & 0xFF, COLS - 1);
        return mem.read16(cell(page, row, col));
    }

    /**
     * Writes {@code ch} {@code count} times from the cursor on (wrapping to the next rows, not
     * past the screen's end), with {@code attribute} or, when it is negative, keeping the cells'
     * attributes; the cursor stays.
     */
    void writeAtCursor(int page, int ch, int attribute, int count) {
        int pos = bda.cursor(page);
        int at = Math.min(pos >>> 8, ROWS - 1) * COLS + Math.min(pos & 0xFF, COLS - 1);
        int end = Math.min(at + count, COLS * ROWS);
        for (int i = at; i < end; i++) {
            put(page, i / COLS, i % COLS, ch, attribute);
        }
    }

    /** Prints {@code ch} as a teletype at page {@code page}'s cursor: CR, LF, BS and BEL act, others are written. */
    void teletype(int page, int ch, int attribute) {
        int pos = bda.cursor(page);
        int row = Math.min(pos >>> 8, ROWS - 1), col = Math.min(pos & 0xFF, COLS - 1);
        switch (ch & 0xFF) {
            case 7 -> {
                return;
            }
            case 8 -> col = Math.max(0, col - 1);
            case '\r' -> col = 0;
            case '\n' -> row++;
            default -> {
                put(page, row, col, ch, attribute);
                if (++col == COLS) {
                    col = 0;
                    row++;
                }
            }
        }
        if (row == ROWS) {
            scroll(page, 1, BLANK_ATTRIBUTE, 0, 0, ROWS - 1, COLS - 1, true);
            row = ROWS - 1;
        }
        bda.setCursor(page, row << 8 | col);
    }

    /** Prints the BIOS's own message {@code text} on the active page ('\n' starts a new line). */
    void print(String text) {
        int page = bda.activePage();
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (ch == '\n') {
                teletype(page, '\r', -1);
            }
            teletype(page, ch, -1);
        }
    }

    /**
     * Scrolls the window rows {@code top..bottom}, columns {@code left..right} of page
     * {@code page} by {@code lines} ({@code up} or down; 0 or more than its height blanks it),
     * filling with blanks of {@code attribute}.
     */
    void scroll(int page, int lines, int attribute, int top, int left, int bottom, int right, boolean up) {
        bottom = Math.min(bottom, ROWS - 1);
        right = Math.min(right, COLS - 1);
        if (top > bottom || left > right) {
            return;
        }
        int height = bottom - top + 1;
        if (lines == 0 || lines > height) {
            lines = height;
        }
        for (int i = 0; i < height; i++) {
            int row = up ? top + i : bottom - i;
            int from = up ? row + lines : row - lines;
            boolean copy = up ? from <= bottom : from >= top;
            for (int col = left; col <= right; col++) {
                int v = copy ? mem.read16(cell(page, from, col)) : attribute << 8 | ' ';
                mem.write16(cell(page, row, col), v);
            }
        }
    }

    private void put(int page, int row, int col, int ch, int attribute) {
        long a = cell(page, row, col);
        mem.write8(a, ch);
        if (attribute >= 0) {
            mem.write8(a + 1, attribute);
        }
    }
}
