package io.amiforge.x86.bios;

/**
 * The serial console: every byte the guest sent to COM1 (port 3F8h or INT 14h), in order, as
 * EC2's console output shows it (CR, BEL and NUL dropped, BS removes the previous character of
 * the line, bytes from 80h shown as their code page 437 glyphs), bounded: after {@link #LIMIT}
 * characters further output is dropped and the text ends with a truncation note. The VGA
 * screen is a separate thing ({@link Screen}).
 */
public final class Console {

    /** Most characters kept. */
    public static final int LIMIT = 1 << 20;

    private final StringBuilder text = new StringBuilder();
    private boolean truncated;

    /** An empty console. */
    public Console() {
    }

    /** Appends one character the guest printed (CR and BEL are dropped; NUL ignored). */
    public void put(int ch) {
        ch &= 0xFF;
        if (ch == '\r' || ch == 7 || ch == 0) {
            return;
        }
        if (text.length() >= LIMIT) {
            truncated = true;
            return;
        }
        if (ch == 8) {
            if (!text.isEmpty() && text.charAt(text.length() - 1) != '\n') {
                text.setLength(text.length() - 1);
            }
            return;
        }
        text.append(ch < 0x80 ? (char) ch : Cp437.glyph(ch));
    }

    /** Appends host text as if the guest had sent it. */
    public void print(String s) {
        for (int i = 0; i < s.length(); i++) {
            put(s.charAt(i));
        }
    }

    public String text() {
        return truncated ? text + "\n[console truncated at " + LIMIT + " characters]" : text.toString();
    }
}
