package io.amiforge.boot.hvm;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.x86.bios.Screen;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generated 8x16 font and the PNG rendering of a text screen. */
class ScreenImageTest {

    private static TextFont font;

    @BeforeAll
    static void font() {
        font = TextFont.generate();
    }

    private static int setPixels(int ch) {
        int n = 0;
        for (int y = 0; y < TextFont.HEIGHT; y++) {
            n += Integer.bitCount(font.row(ch, y));
        }
        return n;
    }

    @Test
    void glyphsAreDrawnAndBlocksAndLinesFillTheirCell() {
        assertThat(setPixels(' ')).isZero();
        assertThat(setPixels(0)).isZero();
        assertThat(setPixels('A')).isBetween(12, 80);
        assertThat(setPixels(0xDB)).as("full block").isGreaterThanOrEqualTo(120);
        boolean fullRow = false;
        for (int y = 0; y < TextFont.HEIGHT; y++) {
            fullRow |= font.row(0xC4, y) == 0xFF;
        }
        assertThat(fullRow).as("'─' reaches both edges so lines join").isTrue();
        assertThat(font.row('A', 0)).isNotEqualTo(-1);
        int differing = 0;
        for (int y = 0; y < TextFont.HEIGHT; y++) {
            differing += font.row('O', y) != font.row('I', y) ? 1 : 0;
        }
        assertThat(differing).isPositive();
    }

    @Test
    void cellsAreDrawnInTheirAttributeColours(@TempDir Path tmp) throws Exception {
        Screen s = Screen.ofText(List.of("A"));
        ScreenImage renderer = new ScreenImage(font);
        int[] px = renderer.render(s);
        assertThat(px).hasSize(ScreenImage.WIDTH * ScreenImage.HEIGHT);
        int grey = 0, black = 0;
        for (int y = 0; y < TextFont.HEIGHT; y++) {
            for (int x = 0; x < TextFont.WIDTH; x++) {
                int p = px[y * ScreenImage.WIDTH + x];
                grey += p == 0xAAAAAA ? 1 : 0;
                black += p == 0 ? 1 : 0;
            }
        }
        assertThat(grey).as("'A' in light grey").isEqualTo(setPixels('A'));
        assertThat(grey + black).isEqualTo(TextFont.WIDTH * TextFont.HEIGHT);
        assertThat(px[ScreenImage.WIDTH * ScreenImage.HEIGHT - 1]).as("blank cell: black background").isZero();

        Path png = tmp.resolve("screen.png");
        renderer.writePng(s, png);
        BufferedImage back = ImageIO.read(png.toFile());
        assertThat(back.getWidth()).isEqualTo(640);
        assertThat(back.getHeight()).isEqualTo(400);
        for (int i = 0; i < TextFont.WIDTH * TextFont.HEIGHT; i++) {
            int x = i % TextFont.WIDTH, y = i / TextFont.WIDTH;
            assertThat(back.getRGB(x, y) & 0xFFFFFF).isEqualTo(px[y * ScreenImage.WIDTH + x]);
        }
        assertThat(ScreenImage.colour(1)).as("VGA blue").isEqualTo(0x0000AA);
        assertThat(ScreenImage.colour(14)).as("VGA yellow").isEqualTo(0xFFFF55);
    }
}
