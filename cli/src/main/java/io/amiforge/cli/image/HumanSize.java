package io.amiforge.cli.image;

import java.math.BigDecimal;
import java.math.MathContext;

/**
 * Sizes as qemu-img prints them: three significant digits and a binary unit, trailing zeros
 * dropped ({@code 1 GiB}, {@code 196 KiB}, {@code 1.5 MiB}, {@code 512 B}).
 */
final class HumanSize {

    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

    private HumanSize() {
    }

    static String of(long bytes) {
        int unit = 0;
        BigDecimal value = BigDecimal.valueOf(bytes);
        BigDecimal kibi = BigDecimal.valueOf(1024);
        while (value.compareTo(kibi) >= 0 && unit < UNITS.length - 1) {
            value = value.divide(kibi);
            unit++;
        }
        return value.round(new MathContext(3)).stripTrailingZeros().toPlainString() + " " + UNITS[unit];
    }
}
