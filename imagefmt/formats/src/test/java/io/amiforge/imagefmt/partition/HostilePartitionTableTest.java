package io.amiforge.imagefmt.partition;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.MemoryBlockDevice;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * Partition tables crafted to cost: a GPT whose 131,072 entries all overlap (quadratic checks
 * and a warning per pair would never finish), entries spread over many pieces of the array,
 * and MBR logical chains that run on or wander out of their extended partition. Results are
 * asserted, never timing.
 */
class HostilePartitionTableTest {

    private static final long MIB = 1 << 20;
    private static final String DISK_GUID = "01234567-89AB-CDEF-0123-456789ABCDEF";

    /**
     * Writes a GPT by hand (both headers and arrays, valid CRCs) with {@code count} entries of
     * {@code entrySize} bytes; {@code range} gives entry i's {first, last} LBA, or null for an
     * empty slot. Returns the first usable LBA.
     */
    static long craftGpt(BlockDevice disk, int count, int entrySize, IntFunction<long[]> range) {
        long sectors = disk.size() / 512;
        int arrayBytes = count * entrySize;
        int arraySectors = (arrayBytes + 511) / 512;
        byte[] array = new byte[arraySectors * 512];
        ByteBuffer a = ByteBuffer.wrap(array).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            long[] r = range.apply(i);
            if (r == null) {
                continue;
            }
            int at = i * entrySize;
            Guids.encode(Partition.GPT_LINUX, a, at);
            Guids.encode(DISK_GUID, a, at + 16);
            a.putLong(at + 32, r[0]);
            a.putLong(at + 40, r[1]);
        }
        int arrayCrc = Gpt.crc(array, 0, arrayBytes);
        long firstUsable = 2 + arraySectors;
        long backupArray = sectors - 1 - arraySectors;
        long lastUsable = backupArray - 1;
        disk.write(2 * 512L, MemorySegment.ofArray(array));
        disk.write(backupArray * 512L, MemorySegment.ofArray(array));
        disk.write(512L, MemorySegment.ofArray(header(1, sectors - 1, firstUsable, lastUsable, 2, count, entrySize, arrayCrc)));
        disk.write((sectors - 1) * 512L, MemorySegment.ofArray(
                header(sectors - 1, 1, firstUsable, lastUsable, backupArray, count, entrySize, arrayCrc)));
        ByteBuffer mbr = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
        mbr.put(Mbr.TABLE_OFFSET + 4, (byte) 0xEE).putInt(Mbr.TABLE_OFFSET + 8, 1).putInt(Mbr.TABLE_OFFSET + 12, (int) (sectors - 1));
        mbr.putShort(510, (short) 0xAA55);
        disk.write(0, MemorySegment.ofArray(mbr.array()));
        return firstUsable;
    }

    private static byte[] header(long my, long alternate, long firstUsable, long lastUsable, long entriesLba,
                                 int count, int entrySize, int arrayCrc) {
        ByteBuffer b = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, Gpt.SIGNATURE).putInt(8, Gpt.REVISION).putInt(12, Gpt.HEADER_SIZE);
        b.putLong(24, my).putLong(32, alternate).putLong(40, firstUsable).putLong(48, lastUsable);
        Guids.encode(DISK_GUID, b, 56);
        b.putLong(72, entriesLba).putInt(80, count).putInt(84, entrySize).putInt(88, arrayCrc);
        b.putInt(16, Gpt.crc(b.array(), 0, Gpt.HEADER_SIZE));
        return b.array();
    }

    @Test
    void aGptOf131072EntriesThatAllOverlapIsReadWithTenWarningsAndACount() {
        int count = 128 * 1024;
        try (BlockDevice disk = new MemoryBlockDevice("huge", 64 * MIB)) {
            long first = craftGpt(disk, count, 128, i -> new long[] {40_000 + i % 7, 90_000});
            assertThat(first).isEqualTo(2 + count * 128L / 512);
            PartitionTable t = PartitionTable.read(disk);
            assertThat(t.scheme()).isEqualTo(PartitionTable.Scheme.GPT);
            assertThat(t.partitions()).hasSize(count);
            assertThat(t.partition(count)).get().extracting(Partition::startLba).isEqualTo(40_000L + (count - 1) % 7);
            // every partition but the first overlaps one before it: 131,071 overlaps, ten shown
            assertThat(t.warnings()).hasSize(Warnings.SHOWN + 1);
            assertThat(t.warnings().subList(0, Warnings.SHOWN)).allMatch(w -> w.startsWith("huge: partitions ") && w.endsWith("overlap"));
            assertThat(t.warnings().getLast()).isEqualTo("... and %d more warnings".formatted(count - 1 - Warnings.SHOWN));
        }
    }

    @Test
    void overlapsAreReportedOncePerPartitionNotPerPair() {
        try (BlockDevice disk = new MemoryBlockDevice("d", 8 * MIB)) {
            // 128 identical partitions: 8,128 overlapping pairs, 127 partitions that overlap an earlier one
            craftGpt(disk, 128, 128, i -> new long[] {2048, 4095});
            PartitionTable t = PartitionTable.read(disk);
            assertThat(t.partitions()).hasSize(128);
            assertThat(t.warnings()).hasSize(Warnings.SHOWN + 1)
                    .last().isEqualTo("... and %d more warnings".formatted(127 - Warnings.SHOWN));
            assertThat(t.warnings().getFirst()).isEqualTo("d: partitions 1 [2048, 4096) and 2 [2048, 4096) overlap");
        }
    }

    @Test
    void entriesAcrossPiecesOfTheArrayAndLargeEntriesAreParsedExactly() {
        for (int entrySize : new int[] {128, 256, 4096}) {
            try (BlockDevice disk = new MemoryBlockDevice("d", 64 * MIB)) {
                int count = 1500;
                long base = 2 + count * (long) entrySize / 512 + 10;
                craftGpt(disk, count, entrySize, i -> i % 3 == 1 ? null : new long[] {base + 4L * i, base + 4L * i + 3});
                PartitionTable t = PartitionTable.read(disk);
                assertThat(t.warnings()).as("entry size %d", entrySize).isEmpty();
                assertThat(t.partitions()).hasSize(1000);
                for (Partition p : t.partitions()) {
                    assertThat(p.startLba()).isEqualTo(base + 4L * (p.index() - 1));
                    assertThat(p.sectors()).isEqualTo(4);
                }
            }
        }
    }

    @Test
    void manyBadEntriesGiveABoundedWarningList() {
        try (BlockDevice disk = new MemoryBlockDevice("d", 16 * MIB)) {
            craftGpt(disk, 1024, 128, i -> new long[] {5000 + i, 10 + i}); // last before first: all ignored
            PartitionTable t = PartitionTable.read(disk);
            assertThat(t.partitions()).isEmpty();
            assertThat(t.warnings()).hasSize(Warnings.SHOWN + 1).last().isEqualTo("... and 1014 more warnings");
        }
    }

    @Test
    void anEbrChainLeavingItsExtendedPartitionStops() {
        try (BlockDevice disk = new MemoryBlockDevice("d", 8 * MIB)) {
            Mbr.write(disk, 1, java.util.List.of(new Partition(1, 2048, 4096, "05", "", false)));
            ByteBuffer ebr = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
            ebr.put(Mbr.TABLE_OFFSET + 4, (byte) 0x83).putInt(Mbr.TABLE_OFFSET + 8, 63).putInt(Mbr.TABLE_OFFSET + 12, 100);
            ebr.put(Mbr.TABLE_OFFSET + 16 + 4, (byte) 0x05).putInt(Mbr.TABLE_OFFSET + 16 + 8, 10_000); // beyond the extended
            ebr.putShort(510, (short) 0xAA55);
            disk.write(2048L * 512, MemorySegment.ofArray(ebr.array()));
            disk.write((2048L + 10_000) * 512, MemorySegment.ofArray(ebr.array()));
            PartitionTable t = PartitionTable.read(disk);
            assertThat(t.partitions()).extracting(Partition::index).containsExactly(1, 5);
            assertThat(t.warnings()).anyMatch(w -> w.contains("EBR at LBA 12048 lies outside its extended partition"));
        }
    }

    @Test
    void aLongEbrChainStopsAtTheLogicalPartitionCap() {
        try (BlockDevice disk = new MemoryBlockDevice("d", 8 * MIB)) {
            int links = Mbr.MAX_LOGICALS + 50;
            Mbr.write(disk, 1, java.util.List.of(new Partition(1, 2048, 2 * links + 2, "05", "", false)));
            for (int i = 0; i < links; i++) {
                ByteBuffer ebr = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
                ebr.put(Mbr.TABLE_OFFSET + 4, (byte) 0x83).putInt(Mbr.TABLE_OFFSET + 8, 1).putInt(Mbr.TABLE_OFFSET + 12, 1);
                ebr.put(Mbr.TABLE_OFFSET + 16 + 4, (byte) 0x05).putInt(Mbr.TABLE_OFFSET + 16 + 8, 2 * (i + 1));
                ebr.putShort(510, (short) 0xAA55);
                disk.write((2048L + 2L * i) * 512, MemorySegment.ofArray(ebr.array()));
            }
            PartitionTable t = PartitionTable.read(disk);
            assertThat(t.partitions()).hasSize(1 + Mbr.MAX_LOGICALS);
            assertThat(t.warnings()).anyMatch(w -> w.contains("more than " + Mbr.MAX_LOGICALS + " logical partitions"));
        }
    }
}
