package io.amiforge.cli.cloud;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.partition.PartitionTable;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Whether a disk can start through legacy BIOS, as an HVM instance boots it: LBA 0 must end in
 * the 0xAA55 boot signature and hold boot code (bytes 0-439 not all zero). When it cannot, the
 * reason says what LBA 0 holds and what was found on the disk instead (partition table, a
 * filesystem on the whole disk, nothing).
 */
final class LegacyBootDisk {

    private static final int SECTOR = 512;
    private static final int CODE_BYTES = 440;
    private static final int EXT_MAGIC_AT = 1024 + 56;

    private LegacyBootDisk() {
    }

    /** Why {@code disk} cannot boot through legacy BIOS, or null when it can. */
    static String whyNot(BlockDevice disk) {
        if (disk.size() < SECTOR) {
            return "the disk has %d bytes, less than one sector".formatted(disk.size());
        }
        ByteBuffer sector0 = ByteBuffer.allocate(SECTOR).order(ByteOrder.LITTLE_ENDIAN);
        disk.read(0, MemorySegment.ofBuffer(sector0));
        int signature = Short.toUnsignedInt(sector0.getShort(510));
        if (signature != 0xAA55) {
            return "LBA 0 has boot signature 0x%04X at offset 510, not 0xAA55; found: %s".formatted(signature, found(disk, sector0));
        }
        for (int i = 0; i < CODE_BYTES; i++) {
            if (sector0.get(i) != 0) {
                return null;
            }
        }
        return "LBA 0 carries the boot signature but no boot code (bytes 0-439 are zero); found: " + found(disk, sector0);
    }

    /** What the disk holds, in words. */
    private static String found(BlockDevice disk, ByteBuffer sector0) {
        PartitionTable table = PartitionTable.read(disk);
        if (table.scheme() != PartitionTable.Scheme.NONE) {
            int n = table.partitions().size();
            return "%s partition table with %d partition%s".formatted(table.scheme() == PartitionTable.Scheme.GPT ? "a GPT" : "an MBR",
                    n, n == 1 ? "" : "s");
        }
        if (disk.size() >= EXT_MAGIC_AT + 2) {
            ByteBuffer magic = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN);
            disk.read(EXT_MAGIC_AT, MemorySegment.ofBuffer(magic));
            if (Short.toUnsignedInt(magic.getShort(0)) == 0xEF53) {
                return "an ext2/3/4 filesystem on the whole disk, no partition table";
            }
        }
        for (int i = 0; i < SECTOR; i++) {
            if (sector0.get(i) != 0) {
                return "no partition table and no filesystem amiforge knows";
            }
        }
        return "no partition table; LBA 0 is all zeros";
    }
}
