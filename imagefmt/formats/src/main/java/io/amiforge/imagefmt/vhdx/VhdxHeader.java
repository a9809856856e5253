package io.amiforge.imagefmt.vhdx;

import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.sparse.HostFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;

/**
 * One of the two 4 KiB VHDX headers (at 64 KiB and 128 KiB): "head", a CRC-32C over the 4 KiB,
 * a sequence number (the valid header with the larger one is current) and the log's place and
 * identity. A non-zero {@link #logGuid} means the log holds entries to replay.
 *
 * @param offset     where the header was read
 * @param sequence   the header's sequence number
 * @param dataWriteGuid changes before the disk's data first changes after an open; a differencing child links to it
 * @param logGuid    the log's identity, zero when the log is empty
 * @param logOffset  file offset of the log
 * @param logLength  bytes of the log
 */
record VhdxHeader(long offset, long sequence, UUID dataWriteGuid, UUID logGuid, long logOffset, int logLength) {

    static final int SIZE = 4096;
    static final long FIRST = 64 << 10;
    static final long SECOND = 128 << 10;
    private static final int SIGNATURE = 0x64616568; // "head"

    /** The header at {@code at}, or null when its signature or checksum is wrong (the other one may be good). */
    static VhdxHeader readOrNull(HostFile file, long at) {
        ByteBuffer b = file.readStructure(at, SIZE, "VHDX header", ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(0) != SIGNATURE || b.getInt(4) != Checksums.crc32c(b, 4)) {
            return null;
        }
        int version = b.getShort(66) & 0xffff;
        if (version != 1) {
            throw ImageFormatException.field(file.name(), "VHDX header Version", at + 66, version + ", expected 1");
        }
        return new VhdxHeader(at, b.getLong(8), Guids.read(b, 32), Guids.read(b, 48), b.getLong(72), b.getInt(68));
    }

    /** The current header: the valid one with the higher sequence number. */
    static VhdxHeader current(HostFile file) {
        VhdxHeader first = readOrNull(file, FIRST);
        VhdxHeader second = readOrNull(file, SECOND);
        if (first == null && second == null) {
            throw ImageFormatException.corrupt(file.name(),
                    "neither VHDX header (file offsets 65536 and 131072) has a valid 'head' signature and CRC-32C checksum");
        }
        if (first == null || (second != null && second.sequence > first.sequence)) {
            return second;
        }
        return first;
    }

    /**
     * Before the first change of a disk opened for writing ([MS-VHDX] 2.2.2): new FileWriteGuid
     * and DataWriteGuid in both headers, the other one first with the next sequence number, then
     * this one with the one after, each forced to disk. A differencing child made before no longer
     * links to the disk.
     */
    void renew(HostFile file) {
        ByteBuffer b = file.readStructure(offset, SIZE, "VHDX header", ByteOrder.LITTLE_ENDIAN);
        Guids.write(b, 16, UUID.randomUUID());
        Guids.write(b, 32, UUID.randomUUID());
        long other = offset == FIRST ? SECOND : FIRST;
        for (long at : new long[] {other, offset}) {
            b.putLong(8, b.getLong(8) + 1);
            b.putInt(4, Checksums.crc32c(b, 4));
            file.write(at, b.duplicate().rewind());
            file.force();
        }
    }

    boolean logIsEmpty() {
        return logGuid.getMostSignificantBits() == 0 && logGuid.getLeastSignificantBits() == 0;
    }
}
