package io.amiforge.boot.hvm;

import io.amiforge.x86.bios.Screen;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;

/**
 * An 8x16 bitmap font for the 256 code page 437 characters, generated at run time from the
 * host's monospaced font (no font data is shipped): each glyph is drawn four times the cell's
 * size, its cell filled top to bottom by the font's ascent and descent so box-drawing
 * characters meet their neighbours, and reduced to one bit per pixel by area coverage. Row
 * {@code y} of glyph {@code c} is a byte whose bit 7 is the leftmost pixel, as in a VGA font.
 */
public final class TextFont {

    /** Glyph width and height in pixels. */
    public static final int WIDTH = 8, HEIGHT = 16;
    private static final int SCALE = 4;

    private final byte[] rows = new byte[256 * HEIGHT];

    private TextFont() {
    }

    /**
     * Generates the font from the host's {@code Monospaced} font.
     *
     * @throws IllegalStateException if the JDK finds no font to draw with
     */
    public static TextFont generate() {
        TextFont f = new TextFont();
        int w = WIDTH * SCALE, h = HEIGHT * SCALE;
        BufferedImage canvas = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = canvas.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            Font base = new Font(Font.MONOSPACED, Font.PLAIN, h);
            FontMetrics m = g.getFontMetrics(base);
            float sx = (float) w / Math.max(1, m.charWidth('M'));
            float sy = (float) h / Math.max(1, m.getAscent() + m.getDescent());
            Font font = base.deriveFont(java.awt.geom.AffineTransform.getScaleInstance(sx, sy));
            int baseline = Math.round(m.getAscent() * sy);
            g.setFont(font);
            Raster raster = canvas.getRaster();
            int[] px = new int[w * h];
            for (int c = 0; c < 256; c++) {
                g.setColor(java.awt.Color.BLACK);
                g.fillRect(0, 0, w, h);
                g.setColor(java.awt.Color.WHITE);
                char ch = Screen.glyph(c);
                if (ch != ' ' && ch != '\u00A0') {
                    g.drawString(String.valueOf(ch), 0, baseline);
                }
                raster.getPixels(0, 0, w, h, px);
                f.reduce(c, px, w);
            }
        } catch (java.awt.AWTError | InternalError e) {
            throw new IllegalStateException("no font to render the text screen with (the JDK found no monospaced font: "
                    + e.getMessage() + "); install a font package such as fonts-dejavu-core", e);
        } finally {
            g.dispose();
        }
        return f;
    }

    // a pixel is set when at least 40% of its SCALE x SCALE block is covered
    private void reduce(int c, int[] px, int w) {
        int threshold = SCALE * SCALE * 255 * 2 / 5;
        for (int y = 0; y < HEIGHT; y++) {
            int bits = 0;
            for (int x = 0; x < WIDTH; x++) {
                int sum = 0;
                for (int dy = 0; dy < SCALE; dy++) {
                    for (int dx = 0; dx < SCALE; dx++) {
                        sum += px[(y * SCALE + dy) * w + x * SCALE + dx];
                    }
                }
                if (sum >= threshold) {
                    bits |= 0x80 >>> x;
                }
            }
            rows[c * HEIGHT + y] = (byte) bits;
        }
    }

    /** Row {@code y} (0-15) of the glyph for code page 437 byte {@code c}: bit 7 is the leftmost pixel. */
    public int row(int c, int y) {
        return rows[(c & 0xFF) * HEIGHT + y] & 0xFF;
    }
}
