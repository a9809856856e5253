package io.amiforge.imagefmt.vhdx;

import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.sparse.HostFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;

/**
 * The VHDX region table ("regi", 64 KiB at 192 KiB, a copy at 256 KiB, CRC-32C): where the BAT
 * and the metadata region lie. A required region of an unknown kind makes the file unreadable.
 *
 * @param batOffset      file offset of the BAT
 * @param batLength      bytes of the BAT
 * @param metadataOffset file offset of the metadata region
 * @param metadataLength bytes of the metadata region
 */
record VhdxRegions(long batOffset, int batLength, long metadataOffset, int metadataLength) {

    static final long FIRST = 192 << 10;
    static final long SECOND = 256 << 10;
    private static final int SIZE = 64 << 10;
    private static final int SIGNATURE = 0x69676572; // "regi"
    private static final int MAX_ENTRIES = 2047;

    /** The first region table whose checksum holds, else the second, else an error naming both. */
    static VhdxRegions read(HostFile file) {
        String firstProblem = null;
        for (long at : new long[] {FIRST, SECOND}) {
            ByteBuffer b = file.readStructure(at, SIZE, "VHDX region table", ByteOrder.LITTLE_ENDIAN);
            if (b.getInt(0) != SIGNATURE) {
                firstProblem = firstProblem != null ? firstProblem : "region table at file offset " + at + " has no 'regi' signature";
                continue;
            }
            int stored = b.getInt(4);
            int computed = Checksums.crc32c(b, 4);
            if (stored != computed) {
                firstProblem = firstProblem != null ? firstProblem : "region table checksum (file offset %d) is 0x%08x, expected 0x%08x"
                        .formatted(at + 4, stored, computed);
                continue;
            }
            return parse(file, b, at);
        }
        throw ImageFormatException.corrupt(file.name(), "no valid VHDX region table: " + firstProblem);
    }

    private static VhdxRegions parse(HostFile file, ByteBuffer b, long at) {
        int count = b.getInt(8);
        if (count < 0 || count > MAX_ENTRIES) {
            throw ImageFormatException.field(file.name(), "VHDX region table EntryCount", at + 8, count + ", expected 0 to " + MAX_ENTRIES);
        }
        long batOffset = -1;
        int batLength = 0;
        long metaOffset = -1;
        int metaLength = 0;
        for (int i = 0; i < count; i++) {
            int e = 16 + 32 * i;
            UUID guid = Guids.read(b, e);
            long offset = b.getLong(e + 16);
            int length = b.getInt(e + 24);
            boolean required = (b.getInt(e + 28) & 1) != 0;
            if (offset < 0 || length < 0 || offset > file.size() - length || (offset & 0xfffff) != 0) {
                throw ImageFormatException.field(file.name(), "VHDX region table entry " + i, at + e,
                        "region at 0x%x (%d bytes) is not 1 MiB-aligned inside the file (size 0x%x)".formatted(offset, length, file.size()));
            }
            if (guid.equals(Guids.BAT)) {
                batOffset = offset;
                batLength = length;
            } else if (guid.equals(Guids.METADATA)) {
                metaOffset = offset;
                metaLength = length;
            } else if (required) {
                throw ImageFormatException.unsupported(file.name(), "VHDX region table entry %d (file offset %d): required region %s is unknown"
                        .formatted(i, at + e, guid));
            }
        }
        if (batOffset < 0 || metaOffset < 0) {
            throw ImageFormatException.corrupt(file.name(), "VHDX region table at file offset " + at + " lacks the "
                    + (batOffset < 0 ? "BAT" : "metadata") + " region");
        }
        return new VhdxRegions(batOffset, batLength, metaOffset, metaLength);
    }
}
