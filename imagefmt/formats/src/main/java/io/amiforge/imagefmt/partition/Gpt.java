package io.amiforge.imagefmt.partition;

import io.amiforge.blockdev.BlockDevice;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.zip.CRC32;

/**
 * The GUID partition table (UEFI spec, chapter 5): a protective MBR at LBA 0, the primary
 * header at LBA 1 with its entry array after it, and a backup entry array and header at the end
 * of the disk. Both headers and both arrays carry CRC32s. A primary that fails its checks is
 * replaced by the backup, with a warning, as the kernel and sfdisk do.
 */
public final class Gpt {

    static final long SIGNATURE = 0x5452415020494645L; // "EFI PART" little-endian
    static final int REVISION = 0x00010000;
    static final int HEADER_SIZE = 92;
    /** Entries we write: 128 of 128 bytes, 32 sectors, as every partitioning tool does. */
    public static final int ENTRIES = 128;
    static final int ENTRY_SIZE = 128;
    static final int ENTRY_SECTORS = ENTRIES * ENTRY_SIZE / Sectors.SIZE;
    /**
     * The largest entry array we accept on read: 32 MiB (262,144 entries of 128 bytes). It is
     * read in pieces of {@code 512 * entry size} bytes, never whole.
     */
    static final long MAX_ARRAY_BYTES = 32L << 20;
    /** The first LBA after the primary entry array in tables we write. */
    public static final long FIRST_USABLE = 2 + ENTRY_SECTORS;
    /** Attribute bit 2: legacy BIOS bootable. */
    static final long ATTR_LEGACY_BOOTABLE = 1L << 2;

    private Gpt() {
    }

    /** A parsed header: where its array is and its fields. */
    private record Header(long myLba, long alternateLba, long firstUsable, long lastUsable, String diskGuid,
                          long entriesLba, int entryCount, int entrySize, int entriesCrc) {
    }

    /** Reads the GPT of {@code disk} (sector 0 already known to hold a protective MBR). */
    static PartitionTable read(BlockDevice disk) {
        long diskSectors = Sectors.count(disk);
        Warnings warnings = new Warnings();
        Header primary = null;
        String primaryProblem;
        try {
            primary = header(disk, 1, diskSectors);
            checkEntries(disk, primary, "primary");
            primaryProblem = null;
        } catch (GptProblem e) {
            primaryProblem = e.getMessage();
            primary = null;
        }
        Header use = primary;
        long backupLba = diskSectors - 1;
        if (primary != null && primary.alternateLba() > 1 && primary.alternateLba() < diskSectors) {
            backupLba = primary.alternateLba();
        }
        try {
            Header backup = header(disk, backupLba, diskSectors);
            checkEntries(disk, backup, "backup");
            if (use == null) {
                warnings.add("%s: primary GPT is damaged (%s); using the backup header at LBA %d"
                        .formatted(disk.name(), primaryProblem, backupLba));
                use = backup;
            }
        } catch (GptProblem e) {
            if (use == null) {
                throw PartitionErrors.invalid("%s: both GPT headers are damaged: primary: %s; backup: %s"
                        .formatted(disk.name(), primaryProblem, e.getMessage()));
            }
            warnings.add("%s: backup GPT is damaged (%s); the primary is used".formatted(disk.name(), e.getMessage()));
        }
        List<Partition> parts = new ArrayList<>();
        int perChunk = PIECE_ENTRIES;
        ByteBuffer array = null;
        for (int i = 0; i < use.entryCount(); i++) {
            if (i % perChunk == 0) {
                array = chunk(disk, use, i, perChunk);
            }
            int at = (i % perChunk) * use.entrySize();
            if (Guids.isZero(array, at)) {
                continue;
            }
            String type = Guids.decode(array, at);
            long first = array.getLong(at + 32);
            long last = array.getLong(at + 40);
            long attrs = array.getLong(at + 48);
            int nameBytes = Math.min(72, use.entrySize() - 56);
            String name = utf16z(array, at + 56, nameBytes);
            if (first < 0 || last < first - 1 || last == Long.MAX_VALUE) {
                warnings.add("%s: GPT entry %d has first LBA %d after last LBA %d; ignored"
                        .formatted(disk.name(), i + 1, first, last));
                continue;
            }
            parts.add(new Partition(i + 1, first, last - first + 1, type, name, (attrs & ATTR_LEGACY_BOOTABLE) != 0));
        }
        for (Partition p : parts) {
            if (p.startLba() < use.firstUsable() || p.endLba() - 1 > use.lastUsable()) {
                warnings.add("%s: partition %d [%d, %d] is outside the usable area [%d, %d]"
                        .formatted(disk.name(), p.index(), p.startLba(), p.endLba() - 1, use.firstUsable(), use.lastUsable()));
            }
        }
        PartitionTable.check(disk.name(), parts, 1, diskSectors, true, warnings);
        return new PartitionTable(PartitionTable.Scheme.GPT, use.diskGuid(), parts, warnings.list());
    }

    private static final class GptProblem extends Exception {
        GptProblem(String message) {
            super(message, null, false, false);
        }
    }

    private static Header header(BlockDevice disk, long lba, long diskSectors) throws GptProblem {
        if (lba < 1 || lba >= diskSectors) {
            throw new GptProblem("header LBA " + lba + " is outside the disk (" + diskSectors + " sectors)");
        }
        ByteBuffer b = Sectors.read(disk, lba, 1);
        if (b.getLong(0) != SIGNATURE) {
            throw new GptProblem("no 'EFI PART' signature at LBA " + lba);
        }
        int headerSize = b.getInt(12);
        if (headerSize < HEADER_SIZE || headerSize > Sectors.SIZE) {
            throw new GptProblem("header at LBA %d: header size %d is outside [92, 512]".formatted(lba, headerSize));
        }
        int storedCrc = b.getInt(16);
        b.putInt(16, 0);
        int crc = crc(b.array(), 0, headerSize);
        if (crc != storedCrc) {
            throw new GptProblem("header at LBA %d: CRC32 0x%08x does not match the computed 0x%08x"
                    .formatted(lba, storedCrc, crc));
        }
        long my = b.getLong(24);
        if (my != lba) {
            throw new GptProblem("header at LBA %d says it is at LBA %d".formatted(lba, my));
        }
        long firstUsable = b.getLong(40);
        long lastUsable = b.getLong(48);
        if (firstUsable < 0 || lastUsable < firstUsable - 1 || lastUsable >= diskSectors) {
            throw new GptProblem("header at LBA %d: usable area [%d, %d] does not fit the disk (%d sectors)"
                    .formatted(lba, firstUsable, lastUsable, diskSectors));
        }
        long entriesLba = b.getLong(72);
        long count = Integer.toUnsignedLong(b.getInt(80));
        long entrySize = Integer.toUnsignedLong(b.getInt(84));
        if (entrySize < 128 || entrySize % 8 != 0 || entrySize > 4096) {
            throw new GptProblem("header at LBA %d: entry size %d is not a multiple of 8 in [128, 4096]".formatted(lba, entrySize));
        }
        if (count * entrySize > MAX_ARRAY_BYTES) {
            throw new GptProblem("header at LBA %d: %d entries of %d bytes exceed the %d MiB limit"
                    .formatted(lba, count, entrySize, MAX_ARRAY_BYTES >> 20));
        }
        long arraySectors = (count * entrySize + Sectors.SIZE - 1) / Sectors.SIZE;
        if (entriesLba < 1 || entriesLba > diskSectors - arraySectors) {
            throw new GptProblem("header at LBA %d: entry array at LBA %d (%d sectors) is outside the disk (%d sectors)"
                    .formatted(lba, entriesLba, arraySectors, diskSectors));
        }
        return new Header(lba, b.getLong(32), firstUsable, lastUsable, Guids.decode(b, 56), entriesLba,
                (int) count, (int) entrySize, b.getInt(88));
    }

    /**
     * Entries per piece of the array read at once: 512, so a piece is {@code entrySize} whole
     * sectors (at most 2 MiB) whatever the entry size.
     */
    private static final int PIECE_ENTRIES = Sectors.SIZE;

    /** The piece of {@code h}'s entry array that starts at entry {@code first}: up to {@code perChunk} entries. */
    private static ByteBuffer chunk(BlockDevice disk, Header h, int first, int perChunk) {
        int entries = Math.min(perChunk, h.entryCount() - first);
        // perChunk entries fill entrySize whole sectors, so every piece starts on a sector.
        long lba = h.entriesLba() + (long) first / perChunk * h.entrySize();
        int sectors = (entries * h.entrySize() + Sectors.SIZE - 1) / Sectors.SIZE;
        return Sectors.read(disk, lba, sectors);
    }

    /** Checks the CRC32 of {@code h}'s entry array, reading it a piece at a time. */
    private static void checkEntries(BlockDevice disk, Header h, String which) throws GptProblem {
        CRC32 crc = new CRC32();
        int perChunk = PIECE_ENTRIES;
        for (int first = 0; first < h.entryCount(); first += perChunk) {
            ByteBuffer piece = chunk(disk, h, first, perChunk);
            crc.update(piece.array(), 0, Math.min(perChunk, h.entryCount() - first) * h.entrySize());
        }
        int computed = (int) crc.getValue();
        if (computed != h.entriesCrc()) {
            throw new GptProblem("%s entry array at LBA %d: CRC32 0x%08x does not match the computed 0x%08x"
                    .formatted(which, h.entriesLba(), h.entriesCrc(), computed));
        }
    }

    private static String utf16z(ByteBuffer b, int at, int maxBytes) {
        int len = 0;
        while (len + 1 < maxBytes && b.getShort(at + len) != 0) {
            len += 2;
        }
        return new String(b.array(), at, len, StandardCharsets.UTF_16LE);
    }

    static int crc(byte[] bytes, int offset, int length) {
        CRC32 crc = new CRC32();
        crc.update(bytes, offset, length);
        return (int) crc.getValue();
    }

    /**
     * Writes a protective MBR (keeping the boot code), the primary header and entry array
     * (LBA 1 and 2-33) and the backup array and header at the end of the disk. Each partition's
     * unique GUID is derived from the disk GUID and its index, so the output is deterministic.
     * Partitions must lie in [34, sectors - 34] and not overlap.
     */
    public static void write(BlockDevice disk, String diskGuid, List<Partition> partitions) {
        long diskSectors = Sectors.count(disk);
        long lastUsable = diskSectors - 2 - ENTRY_SECTORS;
        if (lastUsable < FIRST_USABLE) {
            throw PartitionErrors.badRequest(disk.name() + ": a disk of " + disk.size() + " bytes is too small for a GPT");
        }
        Warnings problems = new Warnings();
        PartitionTable.check(disk.name(), partitions, FIRST_USABLE, lastUsable + 1, false, problems);
        if (!problems.isEmpty()) {
            throw PartitionErrors.badRequest(String.join("; ", problems.list()));
        }
        ByteBuffer array = ByteBuffer.allocate(ENTRIES * ENTRY_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        Set<Integer> used = new HashSet<>();
        for (Partition p : partitions) {
            if (p.index() < 1 || p.index() > ENTRIES || !used.add(p.index())) {
                throw PartitionErrors.badRequest("%s: GPT partition index %d is not a free slot 1-%d"
                        .formatted(disk.name(), p.index(), ENTRIES));
            }
            int at = (p.index() - 1) * ENTRY_SIZE;
            Guids.encode(p.type(), array, at);
            Guids.encode(UUID.nameUUIDFromBytes((diskGuid.toUpperCase() + "/" + p.index())
                    .getBytes(StandardCharsets.UTF_8)).toString(), array, at + 16);
            array.putLong(at + 32, p.startLba());
            array.putLong(at + 40, p.endLba() - 1);
            array.putLong(at + 48, p.bootable() ? ATTR_LEGACY_BOOTABLE : 0);
            byte[] name = p.name().getBytes(StandardCharsets.UTF_16LE);
            if (name.length > 72) {
                throw PartitionErrors.badRequest("%s: GPT partition name '%s' is longer than 36 UTF-16 units"
                        .formatted(disk.name(), p.name()));
            }
            array.put(at + 56, name);
        }
        int arrayCrc = crc(array.array(), 0, array.capacity());
        Mbr.writeProtective(disk);
        long backupHeader = diskSectors - 1;
        long backupArray = backupHeader - ENTRY_SECTORS;
        Sectors.write(disk, 2, array.array());
        Sectors.write(disk, backupArray, array.array());
        Sectors.write(disk, 1, headerBytes(1, backupHeader, lastUsable, diskGuid, 2, arrayCrc));
        Sectors.write(disk, backupHeader, headerBytes(backupHeader, 1, lastUsable, diskGuid, backupArray, arrayCrc));
    }

    private static byte[] headerBytes(long my, long alternate, long lastUsable, String diskGuid, long entriesLba, int arrayCrc) {
        ByteBuffer b = ByteBuffer.allocate(Sectors.SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, SIGNATURE);
        b.putInt(8, REVISION);
        b.putInt(12, HEADER_SIZE);
        b.putLong(24, my);
        b.putLong(32, alternate);
        b.putLong(40, FIRST_USABLE);
        b.putLong(48, lastUsable);
        Guids.encode(diskGuid, b, 56);
        b.putLong(72, entriesLba);
        b.putInt(80, ENTRIES);
        b.putInt(84, ENTRY_SIZE);
        b.putInt(88, arrayCrc);
        b.putInt(16, crc(b.array(), 0, HEADER_SIZE));
        return Arrays.copyOf(b.array(), Sectors.SIZE);
    }
}
