package io.amiforge.imagefmt.partition;

import io.amiforge.blockdev.BlockDevice;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The DOS/MBR partition table of sector 0: 440 bytes of boot code, the 32-bit disk signature at
 * 440, four 16-byte entries at 446 and the 0x55AA mark at 510. Reading follows the extended
 * partition's EBR chain (logicals are numbered from 5, as Linux does); writing lays out up to
 * four primaries and never touches the boot code area.
 */
public final class Mbr {

    /** Where the entries start in sector 0. */
    public static final int TABLE_OFFSET = 446;
    /** Where the disk signature sits in sector 0. */
    public static final int SIGNATURE_OFFSET = 440;
    /** The most EBRs followed before the chain is called a loop. */
    static final int MAX_LOGICALS = 256;

    private Mbr() {
    }

    /** Whether sector 0 carries the 0x55AA boot signature. */
    static boolean hasBootSignature(ByteBuffer sector) {
        return Short.toUnsignedInt(sector.getShort(510)) == 0xAA55;
    }

    static boolean isExtended(int type) {
        return type == 0x05 || type == 0x0F || type == 0x85;
    }

    /** Reads the table in {@code sector0} (already known to carry 0x55AA), following logicals. */
    static PartitionTable read(BlockDevice disk, ByteBuffer sector0) {
        long diskSectors = Sectors.count(disk);
        List<Partition> parts = new ArrayList<>();
        Warnings warnings = new Warnings();
        long extendedStart = -1;
        long extendedEnd = -1;
        for (int slot = 0; slot < 4; slot++) {
            int at = TABLE_OFFSET + 16 * slot;
            int status = Byte.toUnsignedInt(sector0.get(at));
            int type = Byte.toUnsignedInt(sector0.get(at + 4));
            long start = Integer.toUnsignedLong(sector0.getInt(at + 8));
            long size = Integer.toUnsignedLong(sector0.getInt(at + 12));
            if (status != 0 && status != 0x80) {
                throw PartitionErrors.invalid("%s: MBR entry %d at byte %d has status 0x%02x (expected 0x00 or 0x80)"
                        .formatted(disk.name(), slot + 1, at, status));
            }
            if (type == 0 || size == 0) {
                continue;
            }
            parts.add(new Partition(slot + 1, start, size, hex(type), "", status == 0x80));
            if (isExtended(type)) {
                if (extendedStart >= 0) {
                    warnings.add("%s: more than one extended partition; only the first is followed".formatted(disk.name()));
                } else {
                    extendedStart = start;
                    extendedEnd = start + size;
                }
            }
        }
        if (extendedStart >= 0) {
            readLogicals(disk, extendedStart, extendedEnd, diskSectors, parts, warnings);
        }
        long signature = Integer.toUnsignedLong(sector0.getInt(SIGNATURE_OFFSET));
        String id = "0x%08x".formatted(signature);
        PartitionTable.check(disk.name(), parts, 1, diskSectors, true, warnings);
        return new PartitionTable(PartitionTable.Scheme.MBR, id, parts, warnings.list());
    }

    private static void readLogicals(BlockDevice disk, long extStart, long extEnd, long diskSectors,
                                     List<Partition> parts, Warnings warnings) {
        Set<Long> seen = new HashSet<>();
        long ebr = extStart;
        int index = 5;
        while (true) {
            if (!seen.add(ebr)) {
                warnings.add("%s: the EBR chain loops back to LBA %d; stopped after %d logical partitions"
                        .formatted(disk.name(), ebr, index - 5));
                return;
            }
            if (seen.size() > MAX_LOGICALS) {
                warnings.add("%s: more than %d logical partitions; the rest are ignored".formatted(disk.name(), MAX_LOGICALS));
                return;
            }
            if (ebr >= extEnd) {
                warnings.add("%s: EBR at LBA %d lies outside its extended partition [%d, %d); logical chain ends there"
                        .formatted(disk.name(), ebr, extStart, extEnd));
                return;
            }
            if (ebr >= diskSectors) {
                warnings.add("%s: EBR at LBA %d is past the end of the disk (%d sectors)".formatted(disk.name(), ebr, diskSectors));
                return;
            }
            ByteBuffer sector = Sectors.read(disk, ebr, 1);
            if (!hasBootSignature(sector)) {
                warnings.add("%s: EBR at LBA %d has no 0x55AA signature; logical chain ends there".formatted(disk.name(), ebr));
                return;
            }
            int at = TABLE_OFFSET;
            int type = Byte.toUnsignedInt(sector.get(at + 4));
            long start = Integer.toUnsignedLong(sector.getInt(at + 8));
            long size = Integer.toUnsignedLong(sector.getInt(at + 12));
            if (type != 0 && size != 0) {
                boolean active = Byte.toUnsignedInt(sector.get(at)) == 0x80;
                long absolute = ebr + start;
                parts.add(new Partition(index, absolute, size, hex(type), "", active));
                if (absolute + size > extEnd) {
                    warnings.add("%s: logical partition %d [%d, %d) reaches past its extended partition (ends at %d)"
                            .formatted(disk.name(), index, absolute, absolute + size, extEnd));
                }
                index++;
            }
            int next = TABLE_OFFSET + 16;
            int nextType = Byte.toUnsignedInt(sector.get(next + 4));
            long nextStart = Integer.toUnsignedLong(sector.getInt(next + 8));
            if (nextType == 0 || nextStart == 0) {
                return;
            }
            ebr = extStart + nextStart;
        }
    }

    static String hex(int type) {
        return String.format(Locale.ROOT, "%02x", type);
    }

    /**
     * Writes an MBR with the given primaries (indexes 1-4 pick the slots) and disk signature,
     * keeping bytes 0-439 (the boot code) as they are on disk.
     */
    public static void write(BlockDevice disk, long diskSignature, List<Partition> primaries) {
        long diskSectors = Sectors.count(disk);
        if (diskSectors < 2) {
            throw PartitionErrors.badRequest(disk.name() + ": a disk of " + disk.size() + " bytes is too small for a partition table");
        }
        Warnings problems = new Warnings();
        PartitionTable.check(disk.name(), primaries, 1, diskSectors, false, problems);
        if (!problems.isEmpty()) {
            throw PartitionErrors.badRequest(String.join("; ", problems.list()));
        }
        ByteBuffer sector = Sectors.read(disk, 0, 1);
        for (int at = SIGNATURE_OFFSET; at < 512; at++) {
            sector.put(at, (byte) 0);
        }
        sector.putInt(SIGNATURE_OFFSET, (int) diskSignature);
        Set<Integer> used = new HashSet<>();
        for (Partition p : primaries) {
            if (p.index() < 1 || p.index() > 4 || !used.add(p.index())) {
                throw PartitionErrors.badRequest("%s: MBR partition index %d is not a free primary slot 1-4"
                        .formatted(disk.name(), p.index()));
            }
            if (p.endLba() > 0xFFFFFFFFL) {
                throw PartitionErrors.badRequest("%s: partition %d ends at LBA %d, past MBR's 2^32-sector limit (use GPT)"
                        .formatted(disk.name(), p.index(), p.endLba()));
            }
            putEntry(sector, p.index() - 1, p.bootable(), parseType(p.type()), p.startLba(), p.sectors());
        }
        sector.putShort(510, (short) 0xAA55);
        Sectors.write(disk, 0, sector.array());
    }

    /** Writes a GPT protective MBR (one 0xEE entry over the whole disk), keeping the boot code. */
    static void writeProtective(BlockDevice disk) {
        ByteBuffer sector = Sectors.read(disk, 0, 1);
        for (int at = SIGNATURE_OFFSET; at < 512; at++) {
            sector.put(at, (byte) 0);
        }
        long size = Math.min(Sectors.count(disk) - 1, 0xFFFFFFFFL);
        putEntry(sector, 0, false, 0xEE, 1, size);
        sector.putShort(510, (short) 0xAA55);
        Sectors.write(disk, 0, sector.array());
    }

    private static int parseType(String type) {
        try {
            int t = Integer.parseInt(type.startsWith("0x") ? type.substring(2) : type, 16);
            if (t <= 0 || t > 0xFF) {
                throw new NumberFormatException();
            }
            return t;
        } catch (NumberFormatException e) {
            throw PartitionErrors.badRequest("MBR partition type '" + type + "' is not a hex byte 01-ff");
        }
    }

    private static void putEntry(ByteBuffer sector, int slot, boolean active, int type, long start, long size) {
        int at = TABLE_OFFSET + 16 * slot;
        sector.put(at, (byte) (active ? 0x80 : 0));
        putChs(sector, at + 1, start);
        sector.put(at + 4, (byte) type);
        putChs(sector, at + 5, start + size - 1);
        sector.putInt(at + 8, (int) start);
        sector.putInt(at + 12, (int) size);
    }

    /** CHS with 255 heads and 63 sectors per track; past cylinder 1023 the conventional 1023/254/63. */
    private static void putChs(ByteBuffer sector, int at, long lba) {
        long cylinder = lba / (255 * 63);
        int head = (int) ((lba / 63) % 255);
        int sec = (int) (lba % 63) + 1;
        if (cylinder > 1023) {
            cylinder = 1023;
            head = 254;
            sec = 63;
        }
        sector.put(at, (byte) head);
        sector.put(at + 1, (byte) (sec | ((cylinder >> 2) & 0xC0)));
        sector.put(at + 2, (byte) cylinder);
    }
}
