package io.amiforge.cli.common;

import io.amiforge.blockdev.AmiforgeException;

/** A byte count as users write it: {@code 512}, {@code 4K}, {@code 64M}, {@code 1G}, {@code 2T} (powers of 1024). */
public record Size(long bytes) {

    public static Size parse(String text) {
        String s = text.trim();
        if (s.isEmpty()) {
            throw invalid(text);
        }
        char last = Character.toUpperCase(s.charAt(s.length() - 1));
        int shift = switch (last) {
            case 'K' -> 10;
            case 'M' -> 20;
            case 'G' -> 30;
            case 'T' -> 40;
            case 'P' -> 50;
            default -> 0;
        };
        String digits = shift == 0 ? s : s.substring(0, s.length() - 1);
        if (digits.endsWith("i") || digits.endsWith("I")) {
            digits = digits.substring(0, digits.length() - 1);
        }
        try {
            long value = Long.parseLong(digits);
            if (value < 0 || (shift > 0 && value > (Long.MAX_VALUE >> shift))) {
                throw invalid(text);
            }
            return new Size(value << shift);
        } catch (NumberFormatException e) {
            throw invalid(text);
        }
    }

    private static AmiforgeException invalid(String text) {
        return new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                "'" + text + "' is not a size (examples: 512, 4K, 64M, 1G)");
    }
}
