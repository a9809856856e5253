package io.amiforge.x86.bios;

/**
 * Code page 437, the character set of the PC's text mode, to Unicode: what a byte in video
 * memory (or sent to the console) looks like. Bytes 01h-1Fh and 7Fh are the VGA's graphic
 * symbols; 00h is a blank.
 */
final class Cp437 {

    private static final String LOW = " ☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼";
    private static final String HIGH = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»"
            + "░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀"
            + "αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00A0";

    static {
        if (LOW.length() != 0x20 || HIGH.length() != 0x80) {
            throw new AssertionError("code page 437 table has " + LOW.length() + " + " + HIGH.length() + " entries");
        }
    }

    private Cp437() {
    }

    /** The Unicode character byte {@code b} shows as on a VGA text screen. */
    static char glyph(int b) {
        b &= 0xFF;
        if (b < 0x20) {
            return LOW.charAt(b);
        }
        if (b == 0x7F) {
            return '⌂';
        }
        return b < 0x80 ? (char) b : HIGH.charAt(b - 0x80);
    }
}
