package io.amiforge.imagefmt.vhd;

import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.sparse.HostFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The 1024-byte dynamic disk header ("cxsparse"), big-endian: where the block allocation table
 * (BAT) is, how many entries it has, the block size and, for differencing disks, the parent's
 * identity, name and parent locators.
 *
 * @param tableOffset     file offset of the BAT
 * @param maxTableEntries BAT entries (blocks of the disk)
 * @param blockSize       guest bytes per block, a power of two (2 MiB by default)
 * @param parentId        the parent's unique id (differencing disks), else zero
 * @param parentName      the parent's file name (UTF-16 in the file), or empty
 * @param locators        the parent locators whose platform code names a relative or absolute path
 */
record VhdDynamicHeader(long tableOffset, int maxTableEntries, int blockSize, UUID parentId, String parentName,
                               List<Locator> locators) {

    public static final int SIZE = 1024;
    static final byte[] COOKIE = "cxsparse".getBytes(StandardCharsets.US_ASCII);
    /** Platform code of a relative Windows path in UTF-16LE. */
    static final int W2RU = 0x57327275;
    /** Platform code of an absolute Windows path in UTF-16LE. */
    static final int W2KU = 0x57326b75;
    /** Platform code of a Mac OS X file URL in UTF-8. */
    static final int MACX = 0x4d616358;

    /**
     * One parent locator entry.
     *
     * @param code   platform code ({@link #W2RU}, {@link #W2KU}, {@link #MACX})
     * @param space  bytes reserved in the file for the path
     * @param length bytes of the path
     * @param offset file offset of the path
     */
    record Locator(int code, int space, int length, long offset) {
    }

    /** Reads and checks the header at {@code at} of {@code file}. */
    static VhdDynamicHeader read(HostFile file, long at) {
        String name = file.name();
        ByteBuffer b = file.readStructure(at, SIZE, "VHD dynamic header", ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < COOKIE.length; i++) {
            if (b.get(i) != COOKIE[i]) {
                throw ImageFormatException.corrupt(name, "VHD dynamic header at file offset " + at + " has no 'cxsparse' cookie");
            }
        }
        int stored = b.getInt(36);
        int computed = VhdFooter.checksum(b, 36);
        if (stored != computed) {
            throw ImageFormatException.field(name, "VHD dynamic header checksum", at + 36,
                    "0x%08x, expected 0x%08x".formatted(stored, computed));
        }
        long table = b.getLong(16);
        int entries = b.getInt(28);
        int blockSize = b.getInt(32);
        if (blockSize < 512 || Integer.bitCount(blockSize) != 1 || blockSize > (256 << 20)) {
            throw ImageFormatException.field(name, "VHD dynamic header block size", at + 32,
                    blockSize + " is not a power of two from 512 bytes to 256 MiB");
        }
        if (entries < 0 || table < 0 || table > file.size() - 4L * entries) {
            throw ImageFormatException.field(name, "VHD dynamic header BAT (offset 0x%x, %d entries)".formatted(table, entries),
                    at + 16, "the table does not fit in the file (size 0x%x)".formatted(file.size()));
        }
        byte[] unicode = new byte[512];
        b.get(64, unicode);
        String parentName = new String(unicode, StandardCharsets.UTF_16BE);
        int end = parentName.indexOf('\0');
        parentName = end >= 0 ? parentName.substring(0, end) : parentName;
        List<Locator> locators = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            int base = 576 + 24 * i;
            int code = b.getInt(base);
            if (code == W2RU || code == W2KU || code == MACX) {
                long offset = b.getLong(base + 16);
                int length = b.getInt(base + 8);
                if (length < 0 || length > 65536 || offset < 0 || offset > file.size() - length) {
                    throw ImageFormatException.field(name, "VHD parent locator " + i, at + base,
                            "path of %d bytes at file offset 0x%x does not fit in the file (size 0x%x)"
                                    .formatted(length, offset, file.size()));
                }
                locators.add(new Locator(code, b.getInt(base + 4), length, offset));
            }
        }
        return new VhdDynamicHeader(table, entries, blockSize, new UUID(b.getLong(40), b.getLong(48)), parentName,
                List.copyOf(locators));
    }

    /** The header's 1024 bytes, checksum included. */
    ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.BIG_ENDIAN);
        b.put(0, COOKIE);
        b.putLong(8, -1L);
        b.putLong(16, tableOffset);
        b.putInt(24, 0x00010000);
        b.putInt(28, maxTableEntries);
        b.putInt(32, blockSize);
        b.putLong(40, parentId.getMostSignificantBits());
        b.putLong(48, parentId.getLeastSignificantBits());
        byte[] unicode = parentName.getBytes(StandardCharsets.UTF_16BE);
        b.put(64, unicode, 0, Math.min(512, unicode.length));
        for (int i = 0; i < locators.size(); i++) {
            Locator l = locators.get(i);
            int base = 576 + 24 * i;
            b.putInt(base, l.code());
            b.putInt(base + 4, l.space());
            b.putInt(base + 8, l.length());
            b.putLong(base + 16, l.offset());
        }
        b.putInt(36, VhdFooter.checksum(b, 36));
        return b;
    }

    /**
     * The parent's file name from the locators: a relative path first (W2ru), then an absolute
     * one (W2ku, MacX), with Windows separators turned into '/'; null when there is none.
     */
    String parentPath(HostFile file) {
        for (int code : new int[] {W2RU, W2KU, MACX}) {
            for (Locator l : locators) {
                if (l.code() == code && l.length() > 0) {
                    ByteBuffer bytes = file.readStructure(l.offset(), l.length(), "VHD parent locator path", ByteOrder.BIG_ENDIAN);
                    String path = new String(bytes.array(), 0, l.length(),
                            code == MACX ? StandardCharsets.UTF_8 : StandardCharsets.UTF_16LE);
                    if (code == MACX && path.startsWith("file://")) {
                        path = path.substring("file://".length());
                    }
                    path = path.replace('\\', '/');
                    if (path.startsWith("./")) {
                        path = path.substring(2);
                    }
                    int nul = path.indexOf('\0');
                    return nul >= 0 ? path.substring(0, nul) : path;
                }
            }
        }
        return parentName.isEmpty() ? null : parentName;
    }
}
