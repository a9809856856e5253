package io.amiforge.cloud.bundle;

import java.math.BigInteger;

/**
 * The few DER rules a PKCS#1 {@code RSAPrivateKey} needs: SEQUENCE and INTEGER with definite
 * lengths. Every length is checked against the bytes that remain; anything else is refused.
 */
final class Der {

    private static final int SEQUENCE = 0x30;
    private static final int INTEGER = 0x02;

    private final byte[] data;
    private final String source;
    private int pos;
    private final int end;

    private Der(byte[] data, int start, int end, String source) {
        this.data = data;
        this.pos = start;
        this.end = end;
        this.source = source;
    }

    /** A reader over the contents of the SEQUENCE that makes up all of {@code der}. */
    static Der sequence(byte[] der, String source) {
        Der outer = new Der(der, 0, der.length, source);
        int length = outer.header(SEQUENCE, "SEQUENCE");
        Der inner = new Der(der, outer.pos, outer.pos + length, source);
        if (outer.pos + length != der.length) {
            throw outer.fail("trailing bytes after the outer SEQUENCE (ends at " + (outer.pos + length)
                    + ", data has " + der.length + ")");
        }
        return inner;
    }

    /** Reads the next INTEGER. */
    BigInteger integer(String field) {
        int length = header(INTEGER, "INTEGER " + field);
        if (length == 0) {
            throw fail("INTEGER " + field + " has length 0");
        }
        byte[] value = new byte[length];
        System.arraycopy(data, pos, value, 0, length);
        pos += length;
        return new BigInteger(value);
    }

    private int header(int tag, String what) {
        if (pos >= end) {
            throw fail("expected " + what + " at offset " + pos + ", found end of data");
        }
        int actual = data[pos++] & 0xff;
        if (actual != tag) {
            throw fail("expected " + what + " (tag 0x%02x) at offset %d, found tag 0x%02x".formatted(tag, pos - 1, actual));
        }
        if (pos >= end) {
            throw fail("length of " + what + " missing at offset " + pos);
        }
        int first = data[pos++] & 0xff;
        long length;
        if (first < 0x80) {
            length = first;
        } else {
            int count = first & 0x7f;
            if (count == 0 || count > 4 || pos + count > end) {
                throw fail("bad length encoding 0x%02x of %s at offset %d".formatted(first, what, pos - 1));
            }
            length = 0;
            for (int i = 0; i < count; i++) {
                length = (length << 8) | (data[pos++] & 0xff);
            }
        }
        if (length > end - pos) {
            throw fail(what + " at offset " + pos + " claims " + length + " bytes, only " + (end - pos) + " remain");
        }
        return (int) length;
    }

    private BundleException fail(String message) {
        return BundleException.invalid(BundleException.INVALID_KEY, source + ": invalid DER: " + message);
    }
}
