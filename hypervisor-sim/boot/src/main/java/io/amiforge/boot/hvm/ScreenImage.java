package io.amiforge.boot.hvm;

import io.amiforge.x86.bios.Screen;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Renders a VGA text {@link Screen} as a 640x400 image, the way a VGA shows mode 3 with an
 * 8x16 font: each cell's glyph in its attribute's foreground colour (bits 0-3) over its
 * background colour (bits 4-6; bit 7 is blink, drawn as steady), in the 16-colour VGA palette.
 * This is what {@code amiforge boot --screenshot FILE.png} and {@code amiforge instance screenshot} write.
 */
public final class ScreenImage {

    /** Image size in pixels. */
    public static final int WIDTH = Screen.COLUMNS * TextFont.WIDTH, HEIGHT = Screen.ROWS * TextFont.HEIGHT;
    private static final int[] PALETTE = {
        0x000000, 0x0000AA, 0x00AA00, 0x00AAAA, 0xAA0000, 0xAA00AA, 0xAA5500, 0xAAAAAA,
        0x555555, 0x5555FF, 0x55FF55, 0x55FFFF, 0xFF5555, 0xFF55FF, 0xFFFF55, 0xFFFFFF,
    };

    private final TextFont font;

    /** A renderer drawing with {@code font}. */
    public ScreenImage(TextFont font) {
        this.font = font;
    }

    /** The RGB colour of VGA palette entry {@code index} (0-15). */
    public static int colour(int index) {
        return PALETTE[index & 0xF];
    }

    /** Draws {@code screen}: {@link #WIDTH} x {@link #HEIGHT} RGB pixels, row by row from the top left. */
    public int[] render(Screen screen) {
        int[] img = new int[WIDTH * HEIGHT];
        for (int r = 0; r < Screen.ROWS; r++) {
            for (int c = 0; c < Screen.COLUMNS; c++) {
                int attribute = screen.attribute(r, c), ch = screen.character(r, c);
                int fg = PALETTE[attribute & 0xF], bg = PALETTE[(attribute >>> 4) & 7];
                for (int y = 0; y < TextFont.HEIGHT; y++) {
                    int bits = font.row(ch, y);
                    for (int x = 0; x < TextFont.WIDTH; x++) {
                        img[(r * TextFont.HEIGHT + y) * WIDTH + c * TextFont.WIDTH + x] = (bits & (0x80 >>> x)) != 0 ? fg : bg;
                    }
                }
            }
        }
        return img;
    }

    /** Writes {@code screen} as a PNG file at {@code file} (replacing it). */
    public void writePng(Screen screen, Path file) {
        byte[] png = encode(screen, "png");
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(png);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the screenshot to " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * {@code screen} as the bytes of an image file: {@code "png"}, or {@code "jpg"} (what EC2's
     * GetConsoleScreenshot returns, base64-encoded).
     */
    public byte[] encode(Screen screen, String format) {
        if (!format.equals("png") && !format.equals("jpg")) {
            throw new IllegalArgumentException("screenshot format '" + format + "': expected png or jpg");
        }
        BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, WIDTH, HEIGHT, render(screen), 0, WIDTH);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(img, format, out)) {
                throw new IllegalStateException("the JDK has no " + format + " writer");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
