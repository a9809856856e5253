package io.amiforge.imagefmt.vhd;

import io.amiforge.imagefmt.format.ImageFormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * The 512-byte VHD footer (hard disk footer), big-endian: at the end of every VHD file and,
 * for dynamic and differencing disks, copied at offset 0. Holds the disk type, the virtual
 * size (current size and CHS geometry) and a one's-complement checksum.
 *
 * @param dataOffset   file offset of the dynamic header, or -1 (all ones) for a fixed disk
 * @param timestamp    seconds since 2000-01-01 00:00 UTC
 * @param creatorApp   four ASCII characters ("qemu", "win ", "amif")
 * @param originalSize size in bytes at creation
 * @param currentSize  size in bytes now
 * @param geometry     cylinders (16 bits), heads (8), sectors per track (8)
 * @param diskType     {@link #FIXED}, {@link #DYNAMIC} or {@link #DIFFERENCING}
 * @param uniqueId     the disk's identity (a differencing child records its parent's)
 */
record VhdFooter(long dataOffset, int timestamp, String creatorApp, long originalSize, long currentSize,
                        int geometry, int diskType, UUID uniqueId) {

    public static final int SIZE = 512;
    public static final int FIXED = 2;
    public static final int DYNAMIC = 3;
    public static final int DIFFERENCING = 4;
    static final byte[] COOKIE = "conectix".getBytes(StandardCharsets.US_ASCII);
    /** CHS geometry 65535/16/255: readers take {@link #currentSize} as the size. */
    static final int MAX_GEOMETRY = (65535 << 16) | (16 << 8) | 255;
    /** Creator applications whose images are sized by {@code currentSize}, not by geometry (as QEMU reads them). */
    private static final String[] SIZED_BY_CURRENT_SIZE = {"win ", "qem2", "d2v ", "CTXS", "tap\0"};

    /** Whether {@code bytes} (at least 8 of them) start with the footer cookie. */
    static boolean hasCookie(ByteBuffer bytes, int at) {
        for (int i = 0; i < COOKIE.length; i++) {
            if (bytes.get(at + i) != COOKIE[i]) {
                return false;
            }
        }
        return true;
    }

    /** Parses and checks the footer in {@code b} (512 bytes) read at file offset {@code at}. */
    static VhdFooter parse(String file, ByteBuffer b, long at) {
        b.order(ByteOrder.BIG_ENDIAN);
        if (!hasCookie(b, 0)) {
            throw ImageFormatException.corrupt(file, "VHD footer at file offset " + at + " has no 'conectix' cookie");
        }
        int stored = b.getInt(64);
        int computed = checksum(b, 64);
        if (stored != computed) {
            throw ImageFormatException.field(file, "VHD footer checksum", at + 64,
                    "0x%08x, expected 0x%08x".formatted(stored, computed));
        }
        int version = b.getInt(12);
        if (version >>> 16 != 1) {
            throw ImageFormatException.field(file, "VHD footer file format version", at + 12,
                    "0x%08x, expected major version 1".formatted(version));
        }
        int type = b.getInt(60);
        if (type != FIXED && type != DYNAMIC && type != DIFFERENCING) {
            throw ImageFormatException.field(file, "VHD footer disk type", at + 60,
                    type + ", expected 2 (fixed), 3 (dynamic) or 4 (differencing)");
        }
        long current = b.getLong(48);
        if (current < 0 || current % 512 != 0) {
            throw ImageFormatException.field(file, "VHD footer current size", at + 48,
                    current + " is negative or not a multiple of 512");
        }
        byte[] creator = new byte[4];
        b.get(28, creator);
        return new VhdFooter(b.getLong(16), b.getInt(24), new String(creator, StandardCharsets.ISO_8859_1),
                b.getLong(40), current, b.getInt(56), type, new UUID(b.getLong(68), b.getLong(76)));
    }

    /**
     * The guest size in bytes, as QEMU computes it: {@link #currentSize} for creators known to
     * size by it and for the maximum geometry, else cylinders x heads x sectors x 512.
     */
    public long virtualSize() {
        if (geometry == MAX_GEOMETRY) {
            return currentSize;
        }
        for (String app : SIZED_BY_CURRENT_SIZE) {
            if (app.equals(creatorApp)) {
                return currentSize;
            }
        }
        long chs = (long) (geometry >>> 16) * ((geometry >>> 8) & 0xff) * (geometry & 0xff) * 512;
        return chs == 0 ? currentSize : chs;
    }

    /** The footer's 512 bytes, checksum included. */
    ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.BIG_ENDIAN);
        b.put(0, COOKIE);
        b.putInt(8, 2); // features: reserved bit, always set
        b.putInt(12, 0x00010000);
        b.putLong(16, dataOffset);
        b.putInt(24, timestamp);
        b.put(28, creatorApp.getBytes(StandardCharsets.ISO_8859_1), 0, 4);
        b.putInt(32, 0x00010000); // creator version
        b.put(36, "Wi2k".getBytes(StandardCharsets.US_ASCII));
        b.putLong(40, originalSize);
        b.putLong(48, currentSize);
        b.putInt(56, geometry);
        b.putInt(60, diskType);
        b.putLong(68, uniqueId.getMostSignificantBits());
        b.putLong(76, uniqueId.getLeastSignificantBits());
        b.putInt(64, checksum(b, 64));
        return b;
    }

    /** One's complement of the sum of every byte of {@code b}, the 4 bytes at {@code field} counted as zeros. */
    static int checksum(ByteBuffer b, int field) {
        int sum = 0;
        for (int i = 0; i < b.capacity(); i++) {
            if (i < field || i >= field + 4) {
                sum += b.get(i) & 0xff;
            }
        }
        return ~sum;
    }

    /**
     * The CHS geometry the VHD specification assigns to {@code size} bytes, or {@link
     * #MAX_GEOMETRY} when that geometry does not cover exactly {@code size} bytes (so that
     * readers take the size from the footer rather than cut the disk).
     */
    static int geometryFor(long size) {
        long total = Math.min(size / 512, 65535L * 16 * 255);
        long spt;
        long heads;
        long cth;
        if (total >= 65535L * 16 * 63) {
            spt = 255;
            heads = 16;
            cth = total / spt;
        } else {
            spt = 17;
            cth = total / spt;
            heads = Math.max(4, (cth + 1023) / 1024);
            if (cth >= heads * 1024 || heads > 16) {
                spt = 31;
                heads = 16;
                cth = total / spt;
            }
            if (cth >= heads * 1024) {
                spt = 63;
                heads = 16;
                cth = total / spt;
            }
        }
        long cylinders = cth / heads;
        if (cylinders * heads * spt * 512 != size || cylinders > 65535) {
            return MAX_GEOMETRY;
        }
        return (int) ((cylinders << 16) | (heads << 8) | spt);
    }
}
