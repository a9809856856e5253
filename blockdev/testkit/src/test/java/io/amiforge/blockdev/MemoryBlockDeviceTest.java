package io.amiforge.blockdev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.testkit.BlockDeviceContractTest;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryBlockDeviceTest extends BlockDeviceContractTest {

    @Override
    protected BlockDevice newDevice(long size) {
        return new MemoryBlockDevice("mem", size);
    }

    @Override
    protected BlockDevice reopen(BlockDevice device) {
        return null; // its data lives and dies with the object
    }

    @Test
    void aTerabyteDeviceCostsOnlyWhatIsWritten() {
        try (MemoryBlockDevice device = new MemoryBlockDevice("big", 1L << 40)) {
            device.write((1L << 40) - 4096, MemorySegment.ofArray(new byte[]{1, 2, 3}));
            assertThat(read(device, (1L << 40) - 4096, 3)).containsExactly(1, 2, 3);
        }
    }

    @Test
    void allocationFollowsTheChunksWrittenAndDiscarded() {
        long chunk = 64 * 1024;
        try (MemoryBlockDevice device = new MemoryBlockDevice("mem", 1L << 30)) {
            assertThat(map(device)).containsExactly(new Extent(0, 1L << 30, Extent.Kind.ZERO));

            device.write(3 * chunk + 100, MemorySegment.ofArray(new byte[]{7})); // one byte: chunk 3
            device.write(10 * chunk - 1, MemorySegment.ofArray(new byte[2]));   // zeros across 9 and 10: still data
            assertThat(map(device)).containsExactly(
                    new Extent(0, 3 * chunk, Extent.Kind.ZERO),
                    new Extent(3 * chunk, chunk, Extent.Kind.DATA),
                    new Extent(4 * chunk, 5 * chunk, Extent.Kind.ZERO),
                    new Extent(9 * chunk, 2 * chunk, Extent.Kind.DATA),
                    new Extent(11 * chunk, (1L << 30) - 11 * chunk, Extent.Kind.ZERO));

            device.discard(9 * chunk, chunk);      // a whole chunk: released, a hole again
            device.discard(3 * chunk + 1, 4096);   // part of a chunk: zeroed, still allocated
            assertThat(map(device)).containsExactly(
                    new Extent(0, 3 * chunk, Extent.Kind.ZERO),
                    new Extent(3 * chunk, chunk, Extent.Kind.DATA),
                    new Extent(4 * chunk, 6 * chunk, Extent.Kind.ZERO),
                    new Extent(10 * chunk, chunk, Extent.Kind.DATA),
                    new Extent(11 * chunk, (1L << 30) - 11 * chunk, Extent.Kind.ZERO));
            assertThat(read(device, 3 * chunk + 100, 1)).containsExactly(0);
        }
    }

    @Test
    void allocationQueriesStartAtTheOffsetAndStopAtTheLimit() {
        long chunk = 64 * 1024;
        MemoryBlockDevice device = new MemoryBlockDevice("mem", 8 * chunk);
        try {
            device.write(2 * chunk, MemorySegment.ofArray(new byte[(int) chunk]));
            assertThat(device.extentAt(100, 10)).isEqualTo(new Extent(100, 10, Extent.Kind.ZERO));
            assertThat(device.extentAt(chunk + 5, 4 * chunk)).isEqualTo(new Extent(chunk + 5, chunk - 5, Extent.Kind.ZERO));
            assertThat(device.extentAt(2 * chunk + 7, 100)).isEqualTo(new Extent(2 * chunk + 7, 100, Extent.Kind.DATA));
            assertThatThrownBy(() -> device.extentAt(7 * chunk, 2 * chunk))
                    .isInstanceOf(BlockDeviceException.OutOfRange.class);
            assertThatThrownBy(() -> device.extentAt(0, 0)).isInstanceOf(BlockDeviceException.OutOfRange.class);
        } finally {
            device.close();
        }
        assertThatThrownBy(() -> device.extentAt(0, 1)).isInstanceOf(BlockDeviceException.Closed.class);
    }

    /** The whole device as extents, merging adjacent answers of the same kind. */
    static List<Extent> map(AllocationStatus status, long size) {
        List<Extent> out = new ArrayList<>();
        long pos = 0;
        while (pos < size) {
            Extent e = status.extentAt(pos, size - pos);
            assertThat(e.offset()).isEqualTo(pos);
            assertThat(e.length()).isBetween(1L, size - pos);
            if (!out.isEmpty() && out.getLast().kind() == e.kind()) {
                Extent last = out.removeLast();
                e = new Extent(last.offset(), last.length() + e.length(), e.kind());
            }
            out.add(e);
            pos = e.end();
        }
        return out;
    }

    private static List<Extent> map(MemoryBlockDevice device) {
        return map(device, device.size());
    }
}
