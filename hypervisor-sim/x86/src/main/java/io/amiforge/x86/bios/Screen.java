package io.amiforge.x86.bios;

import io.amiforge.x86.cpu.Memory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A snapshot of the 80x25 VGA text screen (mode 3, page 0 at physical 0xB8000): a character
 * byte (code page 437) and an attribute byte (foreground in bits 0-3, background in bits 4-6,
 * blink in bit 7) per cell, as EC2's console screenshot shows it. Immutable; {@link #rows()}
 * gives the text as Unicode rows with trailing blanks removed.
 */
public final class Screen {

    /** Columns and rows of text mode 3. */
    public static final int COLUMNS = BiosDataArea.COLUMNS, ROWS = BiosDataArea.ROWS;
    /** Physical address of page 0 of the colour text buffer. */
    public static final int VIDEO_MEMORY = 0xB8000;
    private static final int ACTIVE_PAGE = 0x462;

    private final byte[] cells;

    private Screen(byte[] cells) {
        this.cells = cells;
    }

    /** The active display page (BIOS data area 0040:0062) as guest memory holds it now. */
    public static Screen capture(Memory mem) {
        byte[] cells = new byte[COLUMNS * ROWS * 2];
        mem.read(VIDEO_MEMORY + 0x1000L * (mem.read8(ACTIVE_PAGE) & 7), cells, 0, cells.length);
        return new Screen(cells);
    }

    /** A screen of {@code rows} (at most 25 of at most 80 characters, Latin-1), grey on black; for tests and PV boots. */
    public static Screen ofText(List<String> rows) {
        if (rows.size() > ROWS) {
            throw new IllegalArgumentException("a text screen has " + ROWS + " rows, got " + rows.size());
        }
        byte[] cells = new byte[COLUMNS * ROWS * 2];
        for (int i = 1; i < cells.length; i += 2) {
            cells[i - 1] = ' ';
            cells[i] = 0x07;
        }
        for (int r = 0; r < rows.size(); r++) {
            String s = rows.get(r);
            if (s.length() > COLUMNS) {
                throw new IllegalArgumentException("row " + r + " has " + s.length() + " characters; at most " + COLUMNS);
            }
            for (int c = 0; c < s.length(); c++) {
                cells[(r * COLUMNS + c) * 2] = (byte) s.charAt(c);
            }
        }
        return new Screen(cells);
    }

    /**
     * A screen from its {@link #cells()} (character, attribute) pairs, row by row; for a screen
     * kept elsewhere (an instance's last boot in the cloud model).
     */
    public static Screen ofCells(byte[] cells) {
        if (cells == null || cells.length != COLUMNS * ROWS * 2) {
            throw new IllegalArgumentException("a text screen has " + COLUMNS * ROWS * 2 + " bytes of cells, got "
                    + (cells == null ? "none" : cells.length));
        }
        return new Screen(cells.clone());
    }

    /** The cells as (character, attribute) byte pairs, row by row from the top left (a copy). */
    public byte[] cells() {
        return cells.clone();
    }

    /** The character byte (code page 437) at {@code row}, {@code column}. */
    public int character(int row, int column) {
        return cells[index(row, column)] & 0xFF;
    }

    /** The attribute byte at {@code row}, {@code column}. */
    public int attribute(int row, int column) {
        return cells[index(row, column) + 1] & 0xFF;
    }

    /** The Unicode character a code page 437 byte shows as on the screen (00h as a blank). */
    public static char glyph(int characterByte) {
        return Cp437.glyph(characterByte);
    }

    /** The 25 rows as Unicode text (code page 437 glyphs), trailing blanks removed. */
    public List<String> rows() {
        List<String> out = new ArrayList<>(ROWS);
        StringBuilder b = new StringBuilder(COLUMNS);
        for (int r = 0; r < ROWS; r++) {
            b.setLength(0);
            for (int c = 0; c < COLUMNS; c++) {
                b.append(Cp437.glyph(character(r, c)));
            }
            int end = b.length();
            while (end > 0 && Character.isSpaceChar(b.charAt(end - 1))) {
                end--;
            }
            out.add(b.substring(0, end));
        }
        return out;
    }

    /** The rows up to the last non-blank one, joined with newlines. */
    public String text() {
        List<String> rows = rows();
        int last = rows.size();
        while (last > 0 && rows.get(last - 1).isEmpty()) {
            last--;
        }
        return String.join("\n", rows.subList(0, last));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Screen s && Arrays.equals(cells, s.cells);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(cells);
    }

    @Override
    public String toString() {
        return text();
    }

    private static int index(int row, int column) {
        if (row < 0 || row >= ROWS || column < 0 || column >= COLUMNS) {
            throw new IndexOutOfBoundsException("cell " + row + "," + column + " outside " + ROWS + "x" + COLUMNS);
        }
        return (row * COLUMNS + column) * 2;
    }
}
