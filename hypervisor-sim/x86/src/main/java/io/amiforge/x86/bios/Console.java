package io.amiforge.x86.bios;

/**
 * Everything the guest printed (INT 10h and COM1), in order, bounded: after {@link #LIMIT}
 * characters further output is dropped and the text ends with a truncation note.
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
        text.append(ch < 0x80 ? (char) ch : (char) cp437(ch));
    }

    /** Appends host text (BIOS messages). */
    public void print(String s) {
        for (int i = 0; i < s.length(); i++) {
            put(s.charAt(i));
        }
    }

    public String text() {
        return truncated ? text + "\n[console truncated at " + LIMIT + " characters]" : text.toString();
    }

    private static int cp437(int ch) {
        // box drawing and blocks are common in boot menus; map the rest to '?'
        if (ch >= 0xB3 && ch <= 0xDA) {
            return "│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌".charAt(ch - 0xB3);
        }
        return '?';
    }
}
