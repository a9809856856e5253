package io.amiforge.imagefmt.vmdk;

import io.amiforge.imagefmt.format.ImageFormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The 512-byte header of a hosted sparse extent ("KDMV", little-endian), as VMware's "Virtual
 * Disk Format 1.1" lays it out. All sizes and offsets are in 512-byte sectors.
 *
 * @param flags           bit 0 newline test, 1 redundant grain table, 2 zeroed-grain entries,
 *                        16 compressed grains, 17 markers
 * @param capacity        guest sectors
 * @param grainSize       sectors per grain, a power of two
 * @param descriptorOffset sector of the embedded descriptor, or 0
 * @param descriptorSize  sectors of the embedded descriptor
 * @param gtesPerGt       entries per grain table
 * @param rgdOffset       sector of the redundant grain directory, or 0
 * @param gdOffset        sector of the grain directory, or {@link #GD_AT_END} (stream-optimized:
 *                        the footer says)
 * @param overhead        sectors before the first grain
 * @param compressAlgorithm 0 none, 1 deflate
 */
record VmdkSparseHeader(int flags, long capacity, long grainSize, long descriptorOffset, long descriptorSize,
                               int gtesPerGt, long rgdOffset, long gdOffset, long overhead, int compressAlgorithm) {

    public static final int SIZE = 512;
    static final int MAGIC = 0x564d444b; // "KDMV" little-endian
    static final long GD_AT_END = -1L;
    static final int FLAG_NEWLINE_TEST = 1;
    static final int FLAG_ZEROED_GRAIN = 1 << 2;
    static final int FLAG_COMPRESSED = 1 << 16;
    static final int FLAG_MARKERS = 1 << 17;

    /** Whether {@code b} starts with the sparse extent magic. */
    static boolean hasMagic(ByteBuffer b) {
        return b.limit() >= 4 && b.order(ByteOrder.LITTLE_ENDIAN).getInt(0) == MAGIC;
    }

    /** Parses and checks the header in {@code b} read at file offset {@code at} of {@code file}. */
    static VmdkSparseHeader parse(String file, ByteBuffer b, long at) {
        return parse(file, b, at, "VMDK sparse header");
    }

    /** {@link #parse(String, ByteBuffer, long)} of the structure called {@code what} (a stream's footer is a header too). */
    static VmdkSparseHeader parse(String file, ByteBuffer b, long at, String what) {
        b.order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(0) != MAGIC) {
            throw ImageFormatException.corrupt(file, what + " at file offset " + at + " has no 'KDMV' magic");
        }
        int version = b.getInt(4);
        if (version < 1 || version > 3) {
            throw ImageFormatException.field(file, "VMDK sparse header version", at + 4, version + ", expected 1 to 3");
        }
        int flags = b.getInt(8);
        long capacity = b.getLong(12);
        long grainSize = b.getLong(20);
        if (grainSize < 1 || grainSize > 65536 || Long.bitCount(grainSize) != 1) {
            throw ImageFormatException.field(file, "VMDK sparse header grainSize", at + 20,
                    grainSize + " sectors is not a power of two from 1 to 65536");
        }
        if (capacity < 0 || capacity > (1L << 54)) {
            throw ImageFormatException.field(file, "VMDK sparse header capacity", at + 12, capacity + " sectors is out of range");
        }
        int gtes = b.getInt(44);
        if (gtes < 1 || gtes > 65536) {
            throw ImageFormatException.field(file, "VMDK sparse header numGTEsPerGT", at + 44, gtes + ", expected 1 to 65536");
        }
        int compress = b.getShort(77) & 0xffff;
        if ((flags & FLAG_COMPRESSED) != 0 && compress != 1) {
            throw ImageFormatException.unsupported(file, "VMDK sparse header compressAlgorithm (file offset %d): %d, only 1 (deflate) is known"
                    .formatted(at + 77, compress));
        }
        return new VmdkSparseHeader(flags, capacity, grainSize, b.getLong(28), b.getLong(36), gtes, b.getLong(48),
                b.getLong(56), b.getLong(64), compress);
    }

    boolean compressed() {
        return (flags & FLAG_COMPRESSED) != 0;
    }

    boolean markers() {
        return (flags & FLAG_MARKERS) != 0;
    }

    boolean zeroedGrains() {
        return (flags & FLAG_ZEROED_GRAIN) != 0;
    }

    /** This header with {@code offset} as the grain directory's sector (for a stream's footer). */
    VmdkSparseHeader withGdOffset(long offset) {
        return new VmdkSparseHeader(flags, capacity, grainSize, descriptorOffset, descriptorSize, gtesPerGt, rgdOffset,
                offset, overhead, compressAlgorithm);
    }

    /** The header's 512 bytes. */
    ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, MAGIC);
        b.putInt(4, compressed() ? 3 : 1);
        b.putInt(8, flags);
        b.putLong(12, capacity);
        b.putLong(20, grainSize);
        b.putLong(28, descriptorOffset);
        b.putLong(36, descriptorSize);
        b.putInt(44, gtesPerGt);
        b.putLong(48, rgdOffset);
        b.putLong(56, gdOffset);
        b.putLong(64, overhead);
        b.put(72, (byte) 0);
        b.put(73, (byte) '\n');
        b.put(74, (byte) ' ');
        b.put(75, (byte) '\r');
        b.put(76, (byte) '\n');
        b.putShort(77, (short) compressAlgorithm);
        return b;
    }
}
