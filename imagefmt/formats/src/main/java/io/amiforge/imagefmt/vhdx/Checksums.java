package io.amiforge.imagefmt.vhdx;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/** VHDX's checksum: CRC-32C over a whole structure with its 4-byte checksum field counted as zeros. */
final class Checksums {

    private static final byte[] ZEROS = new byte[4];

    private Checksums() {
    }

    /** CRC-32C of all of {@code b} (position 0 to its limit), the 4 bytes at {@code field} taken as zeros. */
    static int crc32c(ByteBuffer b, int field) {
        CRC32C crc = new CRC32C();
        byte[] array = b.array();
        crc.update(array, 0, field);
        crc.update(ZEROS, 0, 4);
        crc.update(array, field + 4, b.limit() - field - 4);
        return (int) crc.getValue();
    }
}
