package io.amiforge.imagefmt.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.MemoryBlockDevice;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class PartitionTableTest {

    private static final long MIB = 1 << 20;

    @Test
    void emptyDiskHasNoTable() {
        try (BlockDevice disk = new MemoryBlockDevice("d", MIB)) {
            assertThat(PartitionTable.read(disk).scheme()).isEqualTo(PartitionTable.Scheme.NONE);
        }
    }

    @Test
    void overlapsAreWarningsOnReadAndErrorsOnWrite() {
        try (BlockDevice disk = new MemoryBlockDevice("d", 8 * MIB)) {
            List<Partition> overlapping = List.of(new Partition(1, 2048, 4096, "83", "", false),
                    new Partition(2, 4096, 4096, "83", "", false));
            assertThatThrownBy(() -> Mbr.write(disk, 1, overlapping)).isInstanceOf(AmiforgeException.class)
                    .hasMessageContaining("overlap");
            assertThatThrownBy(() -> Mbr.write(disk, 1, List.of(new Partition(1, 2048, 1 << 20, "83", "", false))))
                    .hasMessageContaining("outside");
            // write an overlapping table by hand: read warns, does not fail
            Mbr.write(disk, 1, List.of(new Partition(1, 2048, 2048, "83", "", false)));
            ByteBuffer s = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            s.put(4, (byte) 0x83).putInt(8, 3000).putInt(12, 1 << 20);
            disk.write(Mbr.TABLE_OFFSET + 16, MemorySegment.ofArray(s.array()));
            PartitionTable t = PartitionTable.read(disk);
            assertThat(t.partitions()).hasSize(2);
            assertThat(String.join("\n", t.warnings())).contains("overlap").contains("outside the disk");
            assertThatThrownBy(() -> PartitionTable.open(disk, t.partition(2).orElseThrow()))
                    .hasMessageContaining("past the end of the disk");
        }
    }

    @Test
    void ebrLoopIsDetected() {
        try (BlockDevice disk = new MemoryBlockDevice("d", 8 * MIB)) {
            Mbr.write(disk, 1, List.of(new Partition(1, 2048, 8192, "05", "", false)));
            ByteBuffer ebr = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
            ebr.put(Mbr.TABLE_OFFSET + 4, (byte) 0x83).putInt(Mbr.TABLE_OFFSET + 8, 63).putInt(Mbr.TABLE_OFFSET + 12, 100);
            ebr.put(Mbr.TABLE_OFFSET + 16 + 4, (byte) 0x05).putInt(Mbr.TABLE_OFFSET + 16 + 8, 1000);
            ebr.putShort(510, (short) 0xAA55);
            disk.write(2048L * 512, MemorySegment.ofArray(ebr.array()));
            disk.write((2048L + 1000) * 512, MemorySegment.ofArray(ebr.array())); // its next EBR is itself
            PartitionTable t = PartitionTable.read(disk);
            assertThat(t.partitions()).extracting(Partition::index).containsExactly(1, 5, 6);
            assertThat(t.warnings()).anyMatch(w -> w.contains("loops back"));
        }
    }

    @Property(tries = 60)
    void gptRoundTrip(@ForAll @IntRange(min = 1, max = 8) int count, @ForAll @IntRange(min = 1, max = 5000) int size) {
        try (BlockDevice disk = new MemoryBlockDevice("d", 64 * MIB)) {
            List<Partition> parts = new java.util.ArrayList<>();
            long lba = 2048;
            for (int i = 1; i <= count; i++) {
                parts.add(new Partition(i, lba, size, i % 2 == 0 ? Partition.GPT_LINUX : "C12A7328-F81F-11D2-BA4B-00A0C93EC93B",
                        "part" + i, i == 1));
                lba += size + i;
            }
            Gpt.write(disk, "01234567-89AB-CDEF-0123-456789ABCDEF", parts);
            PartitionTable t = PartitionTable.read(disk);
            assertThat(t.partitions()).isEqualTo(parts);
            assertThat(t.warnings()).isEmpty();
            assertThat(t.id()).isEqualTo("01234567-89AB-CDEF-0123-456789ABCDEF");
        }
    }

    @Property(tries = 200)
    void corruptSectorsNeverFailUncleanly(@ForAll @IntRange(min = 0, max = 34 * 512 - 1) int offset,
                                          @ForAll byte value) {
        try (BlockDevice disk = new MemoryBlockDevice("d", 4 * MIB)) {
            Gpt.write(disk, "01234567-89AB-CDEF-0123-456789ABCDEF", List.of(new Partition(1, 2048, 100, Partition.GPT_LINUX, "x", false)));
            disk.write(offset, MemorySegment.ofArray(new byte[] {value}));
            try {
                PartitionTable t = PartitionTable.read(disk);
                if (t.scheme() == PartitionTable.Scheme.GPT) {
                    assertThat(t.partitions()).singleElement().extracting(Partition::startLba).isEqualTo(2048L);
                }
            } catch (AmiforgeException e) {
                assertThat(e.getMessage()).isNotBlank();
            }
        }
    }
}
