package io.amiforge.imagefmt.partition;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The partition table of a disk, as read: its scheme, its identifier (MBR disk signature as
 * {@code 0x%08x}, or the GPT disk GUID), its partitions in index order, and the warnings a
 * real tool would print (overlaps, partitions past the end of the disk, a damaged primary or
 * backup GPT). A disk without the 0x55AA mark has scheme {@link Scheme#NONE} and no partitions.
 */
public final class PartitionTable {

    /** Which kind of table. */
    public enum Scheme {
        /** No partition table: the whole disk is one filesystem (or empty). */
        NONE,
        /** DOS/MBR. */
        MBR,
        /** GUID partition table. */
        GPT
    }

    private final Scheme scheme;
    private final String id;
    private final List<Partition> partitions;
    private final List<String> warnings;

    PartitionTable(Scheme scheme, String id, List<Partition> partitions, List<String> warnings) {
        this.scheme = scheme;
        this.id = id;
        this.partitions = partitions.stream().sorted(Comparator.comparingInt(Partition::index)).toList();
        this.warnings = List.copyOf(warnings);
    }

    /** Reads the table of {@code disk}: GPT when sector 0 holds a protective (0xEE) entry, else MBR, else none. */
    public static PartitionTable read(BlockDevice disk) {
        if (disk.size() < Sectors.SIZE) {
            return new PartitionTable(Scheme.NONE, "", List.of(), List.of());
        }
        ByteBuffer sector0 = Sectors.read(disk, 0, 1);
        if (!Mbr.hasBootSignature(sector0)) {
            return new PartitionTable(Scheme.NONE, "", List.of(), List.of());
        }
        for (int slot = 0; slot < 4; slot++) {
            if (Byte.toUnsignedInt(sector0.get(Mbr.TABLE_OFFSET + 16 * slot + 4)) == 0xEE) {
                return Gpt.read(disk);
            }
        }
        if (looksLikeFilesystemBootSector(sector0)) {
            return new PartitionTable(Scheme.NONE, "", List.of(), List.of());
        }
        return Mbr.read(disk, sector0);
    }

    /** A FAT/NTFS boot sector also ends in 0x55AA; its entries area then holds code, not a table. */
    private static boolean looksLikeFilesystemBootSector(ByteBuffer sector0) {
        for (int slot = 0; slot < 4; slot++) {
            int status = Byte.toUnsignedInt(sector0.get(Mbr.TABLE_OFFSET + 16 * slot));
            if (status != 0 && status != 0x80) {
                return true;
            }
        }
        return false;
    }

    public Scheme scheme() {
        return scheme;
    }

    /** MBR disk signature ({@code 0x%08x}) or GPT disk GUID; empty for {@link Scheme#NONE}. */
    public String id() {
        return id;
    }

    public List<Partition> partitions() {
        return partitions;
    }

    public List<String> warnings() {
        return warnings;
    }

    /** The partition with 1-based {@code index}, if present. */
    public Optional<Partition> partition(int index) {
        return partitions.stream().filter(p -> p.index() == index).findFirst();
    }

    /**
     * A device over one partition of {@code disk}. Fails when the partition does not lie
     * wholly inside the disk (a warning on read becomes an error on use).
     */
    public static BlockDevice open(BlockDevice disk, Partition p) {
        long start = Math.multiplyExact(p.startLba(), (long) Sectors.SIZE);
        long length = Math.multiplyExact(p.sectors(), (long) Sectors.SIZE);
        if (start > disk.size() || length > disk.size() - start) {
            throw new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidPartitionTable",
                    "%s: partition %d [LBA %d, +%d sectors) reaches past the end of the disk (%d sectors)"
                            .formatted(disk.name(), p.index(), p.startLba(), p.sectors(), disk.size() / Sectors.SIZE));
        }
        return new PartitionDevice(disk, p.index(), start, length);
    }

    /**
     * Adds a message to {@code out} for each partition that is empty or outside
     * {@code [firstLba, endLba)}, and for each partition that overlaps one starting before it (a
     * logical partition inside its extended one is no overlap). One sort and one sweep:
     * O(n log n) for any table, however crafted, naming for each overlapping partition the
     * earlier one that reaches furthest into it.
     */
    static void check(String disk, List<Partition> parts, long firstLba, long endLba, boolean reading, Warnings out) {
        for (Partition p : parts) {
            if (p.sectors() == 0) {
                out.add("%s: partition %d is empty".formatted(disk, p.index()));
            } else if (p.startLba() < firstLba || p.endLba() > endLba) {
                out.add("%s: partition %d [%d, %d) is outside the %s [%d, %d)".formatted(disk, p.index(),
                        p.startLba(), p.endLba(), reading ? "disk" : "usable area", firstLba, endLba));
            }
        }
        // Extended partitions are containers: logicals nest in them. They are primaries (at most
        // four), so they are checked pairwise against the other primaries; the rest are swept.
        List<Partition> containers = new ArrayList<>();
        List<Partition> sorted = new ArrayList<>(parts.size());
        for (Partition p : parts) {
            if (p.sectors() == 0) {
                continue;
            }
            (Mbr.isExtended(hexType(p)) ? containers : sorted).add(p);
        }
        for (Partition extended : containers) {
            for (Partition p : parts) {
                if (p != extended && p.index() <= 4 && p.sectors() > 0 && overlap(extended, p)
                        && (extended.index() < p.index() || !containers.contains(p))) {
                    out.add(overlapMessage(disk, extended, p));
                }
            }
        }
        sorted.sort(Comparator.comparingLong(Partition::startLba).thenComparingInt(Partition::index));
        Partition reach = null; // of the partitions seen so far, the one ending last
        for (Partition p : sorted) {
            if (reach != null && p.startLba() < reach.endLba()) {
                out.add(overlapMessage(disk, reach, p));
            }
            if (reach == null || p.endLba() > reach.endLba()) {
                reach = p;
            }
        }
    }

    private static boolean overlap(Partition a, Partition b) {
        return a.startLba() < b.endLba() && b.startLba() < a.endLba();
    }

    private static String overlapMessage(String disk, Partition a, Partition b) {
        return "%s: partitions %d [%d, %d) and %d [%d, %d) overlap".formatted(disk,
                a.index(), a.startLba(), a.endLba(), b.index(), b.startLba(), b.endLba());
    }

    private static int hexType(Partition p) {
        return p.type().length() == 2 ? Integer.parseInt(p.type(), 16) : -1;
    }

    @Override
    public String toString() {
        return scheme + " " + id + " " + partitions;
    }
}
