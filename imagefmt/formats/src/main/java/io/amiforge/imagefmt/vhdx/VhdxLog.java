package io.amiforge.imagefmt.vhdx;

import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.sparse.HostFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Replays a VHDX log into memory: the entries of the active sequence (the valid entry with the
 * highest sequence number, back to its tail, sequence numbers consecutive), each entry's data
 * descriptors (a 4 KiB page: 8 leading bytes from the descriptor, 4084 from the data sector, 4
 * trailing from the descriptor) and zero descriptors applied in order. The result is a view of
 * the file with those pages in place; the file itself is not written.
 */
final class VhdxLog {

    private static final int SECTOR = 4096;
    private static final int ENTRY_SIGNATURE = 0x65676f6c; // "loge"
    private static final int DATA_DESCRIPTOR = 0x63736564; // "desc"
    private static final int ZERO_DESCRIPTOR = 0x6f72657a; // "zero"
    private static final int DATA_SECTOR = 0x61746164; // "data"

    private VhdxLog() {
    }

    /** {@code file} as it reads after replaying its log, or {@code file} itself when the log is empty. */
    static HostFile replayed(HostFile file, VhdxHeader header) {
        if (header.logIsEmpty()) {
            return file;
        }
        String name = file.name();
        long logOffset = header.logOffset();
        int logLength = header.logLength();
        if (logLength <= 0 || logLength % (1 << 20) != 0 || (logOffset & 0xfffff) != 0 || logOffset < (1 << 20)
                || logOffset > file.size() - logLength) {
            throw ImageFormatException.field(name, "VHDX header LogOffset/LogLength", header.offset() + 68,
                    "log at 0x%x (%d bytes) is not a 1 MiB-aligned region inside the file (size 0x%x)".formatted(logOffset, logLength, file.size()));
        }
        ByteBuffer log = file.readStructure(logOffset, logLength, "VHDX log", ByteOrder.LITTLE_ENDIAN);
        long headAt = -1;
        long headSequence = -1;
        for (long at = 0; at < logLength; at += SECTOR) {
            ByteBuffer entry = entryAt(log, at, header.logGuid());
            if (entry != null && entry.getLong(16) > headSequence) {
                headSequence = entry.getLong(16);
                headAt = at;
            }
        }
        if (headAt < 0) {
            throw ImageFormatException.corrupt(name, "VHDX log at file offset 0x%x (log GUID %s) has no valid entry to replay"
                    .formatted(logOffset, header.logGuid()));
        }
        ByteBuffer head = entryAt(log, headAt, header.logGuid());
        long tail = head.getInt(12) & 0xffffffffL;
        NavigableMap<Long, byte[]> pages = new TreeMap<>();
        long lastFileOffset = 0;
        long at = tail;
        long expected = -1;
        for (int guard = 0; guard <= logLength / SECTOR; guard++) {
            ByteBuffer entry = entryAt(log, at, header.logGuid());
            if (entry == null || (expected >= 0 && entry.getLong(16) != expected)) {
                throw ImageFormatException.corrupt(name, "VHDX log entry at log offset 0x%x (file offset 0x%x) breaks the active sequence"
                        .formatted(at, logOffset + at));
            }
            apply(name, entry, pages, logOffset + at);
            lastFileOffset = Math.max(lastFileOffset, entry.getLong(56));
            if (at == headAt) {
                return file.withPages(pages, lastFileOffset);
            }
            expected = entry.getLong(16) + 1;
            at = (at + entry.getInt(8)) % logLength;
        }
        throw ImageFormatException.corrupt(name, "VHDX log at file offset 0x%x: the sequence from its tail never reaches its head"
                .formatted(logOffset));
    }

    /** The whole entry at {@code at} of the circular log (copied, unwrapped), or null if none is valid there. */
    private static ByteBuffer entryAt(ByteBuffer log, long at, UUID guid) {
        int logLength = log.limit();
        if (log.getInt((int) at) != ENTRY_SIGNATURE) {
            return null;
        }
        long length = log.getInt((int) at + 8) & 0xffffffffL;
        if (length < SECTOR || length % SECTOR != 0 || length > logLength) {
            return null;
        }
        ByteBuffer entry = ByteBuffer.allocate((int) length).order(ByteOrder.LITTLE_ENDIAN);
        int first = (int) Math.min(length, logLength - at);
        entry.put(0, log.array(), (int) at, first);
        entry.put(first, log.array(), 0, (int) length - first);
        if (entry.getInt(4) != Checksums.crc32c(entry, 4) || !Guids.read(entry, 32).equals(guid)) {
            return null;
        }
        long descriptors = entry.getInt(24) & 0xffffffffL;
        long descriptorSectors = (64 + 32 * descriptors + SECTOR - 1) / SECTOR;
        if (descriptorSectors * SECTOR > length) {
            return null;
        }
        return entry;
    }

    private static void apply(String name, ByteBuffer entry, NavigableMap<Long, byte[]> pages, long entryFileOffset) {
        int descriptors = entry.getInt(24);
        int dataSector = (64 + 32 * descriptors + SECTOR - 1) / SECTOR * SECTOR;
        long sequence = entry.getLong(16);
        for (int i = 0; i < descriptors; i++) {
            int d = 64 + 32 * i;
            int type = entry.getInt(d);
            long fileOffset = entry.getLong(d + 16);
            if ((fileOffset & (SECTOR - 1)) != 0 || fileOffset < 0) {
                throw ImageFormatException.corrupt(name, "VHDX log descriptor %d of the entry at file offset 0x%x targets file offset 0x%x, not 4 KiB-aligned"
                        .formatted(i, entryFileOffset, fileOffset));
            }
            if (entry.getLong(d + 24) != sequence) {
                throw ImageFormatException.corrupt(name, "VHDX log descriptor %d of the entry at file offset 0x%x has sequence %d, expected %d"
                        .formatted(i, entryFileOffset, entry.getLong(d + 24), sequence));
            }
            if (type == ZERO_DESCRIPTOR) {
                long length = entry.getLong(d + 8);
                if (length < 0 || length % SECTOR != 0 || length > (1L << 30)) {
                    throw ImageFormatException.corrupt(name, "VHDX log zero descriptor %d of the entry at file offset 0x%x has length %d"
                            .formatted(i, entryFileOffset, length));
                }
                for (long z = 0; z < length; z += SECTOR) {
                    pages.put(fileOffset + z, new byte[SECTOR]);
                }
            } else if (type == DATA_DESCRIPTOR) {
                if (dataSector + SECTOR > entry.limit() || entry.getInt(dataSector) != DATA_SECTOR) {
                    throw ImageFormatException.corrupt(name, "VHDX log entry at file offset 0x%x: data sector for descriptor %d is missing"
                            .formatted(entryFileOffset, i));
                }
                byte[] page = new byte[SECTOR];
                ByteBuffer p = ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN);
                p.putLong(0, entry.getLong(d + 8));
                entry.get(dataSector + 8, page, 8, SECTOR - 12);
                p.putInt(SECTOR - 4, entry.getInt(d + 4));
                pages.put(fileOffset, page);
                dataSector += SECTOR;
            } else {
                throw ImageFormatException.corrupt(name, "VHDX log descriptor %d of the entry at file offset 0x%x has unknown signature 0x%08x"
                        .formatted(i, entryFileOffset, type));
            }
        }
    }
}
