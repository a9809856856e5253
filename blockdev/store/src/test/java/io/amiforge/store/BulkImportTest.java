package io.amiforge.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.MemoryBlockDevice;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code importSnapshot} from {@link BlockRuns}: data runs are read in batches (crossing the
 * 4 MiB batch boundary), all-zero blocks store no data (left out of a base, explicit zeros over a
 * parent), zero runs longer than a batch of entries, and {@link BlockRuns} merging and clamping.
 */
class BulkImportTest {

    private static final int BS = 4096;
    private static final long BLOCKS = 300_000;

    @TempDir
    Path dir;

    /** Data in blocks 0-1099 except the zero blocks 5, 1024, 1025 (the second batch starts at 1024), and 200000-200002. */
    private static BlockDevice source() {
        MemoryBlockDevice device = new MemoryBlockDevice("source", BLOCKS * BS, BS);
        byte[] block = new byte[BS];
        for (long b = 0; b < 1100; b++) {
            if (b == 5 || b == 1024 || b == 1025) {
                continue;
            }
            Arrays.fill(block, (byte) (b % 251 + 1));
            device.write(b * BS, MemorySegment.ofArray(block));
        }
        Arrays.fill(block, (byte) 0x77);
        device.write(200_000L * BS, MemorySegment.ofArray(block));
        device.write(200_001L * BS, MemorySegment.ofArray(block));
        device.write(200_002L * BS, MemorySegment.ofArray(block));
        return device;
    }

    private static BlockRuns runs() {
        return new BlockRuns().data(0, 1100).zeros(1200, 100_000).data(200_000, 3);
    }

    private static byte valueAt(BlockDevice device, long block) {
        byte[] got = new byte[BS];
        device.read(block * BS, MemorySegment.ofArray(got));
        for (byte b : got) {
            assertThat(b).as("block %d is uniform", block).isEqualTo(got[0]);
        }
        return got[0];
    }

    @Test
    void aBaseLayerStoresOnlyNonZeroBlocksAndReadsBackExactly() {
        try (SnapshotStore store = SnapshotStore.open(dir.resolve("store"))) {
            BlockDevice source = source();
            SnapshotInfo base = store.importSnapshot(null, source, runs(), "base");
            assertThat(base.blockSize()).isEqualTo(BS);
            assertThat(store.blocks(base.id()).count()).isEqualTo(1097 + 3);
            try (BlockDevice view = store.openSnapshot(base.id())) {
                for (long b : new long[] {0, 4, 5, 6, 1023, 1024, 1025, 1026, 1099, 1100, 1200, 200_000, 200_002, BLOCKS - 1}) {
                    assertThat(valueAt(view, b)).as("block %d", b).isEqualTo(valueAt(source, b));
                }
            }
            assertThat(store.verify().ok()).isTrue();
        }
    }

    @Test
    void overAParentZerosAreExplicitAndShadowIt() {
        try (SnapshotStore store = SnapshotStore.open(dir.resolve("store"))) {
            MemoryBlockDevice full = new MemoryBlockDevice("full", BLOCKS * BS, BS);
            byte[] ones = new byte[1 << 20];
            Arrays.fill(ones, (byte) 0x11);
            for (long at = 0; at < 300_000L * BS; at += 64L << 20) { // a block of 0x11 every 16384 blocks
                full.write(at, MemorySegment.ofArray(ones));
            }
            full.write(1024L * BS, MemorySegment.ofArray(ones)); // under the zero data blocks 1024, 1025
            full.write(1200L * BS, MemorySegment.ofArray(ones)); // under the zero run
            SnapshotInfo parent = store.importSnapshot(null, full, new BlockRuns().data(0, BLOCKS), "parent");
            BlockDevice source = source();
            SnapshotInfo child = store.importSnapshot(parent, source, runs(), "child");
            assertThat(store.blocks(child.id()).count()).isEqualTo(1100 + 100_000 + 3);
            try (BlockDevice view = store.openSnapshot(child.id())) {
                for (long b : new long[] {0, 5, 1024, 1025, 1026, 1099, 1200, 1455, 16_384, 101_199, 200_000}) {
                    assertThat(valueAt(view, b)).as("block %d", b).isEqualTo(valueAt(source, b));
                }
                assertThat(valueAt(view, 101_200)).as("past the zero run: the parent").isEqualTo((byte) 0);
                assertThat(valueAt(view, 16_384 * 7)).as("past the zero run: the parent").isEqualTo((byte) 0x11);
            }
            assertThat(store.verify().ok()).isTrue();
        }
    }

    @Test
    void runsOutsideTheLayerAreRefusedAndLeaveNothing() {
        try (SnapshotStore store = SnapshotStore.open(dir.resolve("store"))) {
            BlockDevice source = new MemoryBlockDevice("small", 16L * BS, BS);
            assertThatThrownBy(() -> store.importSnapshot(null, source, new BlockRuns().data(10, 7), "too far"))
                    .isInstanceOf(StoreException.class).hasMessageContaining("block 16 is outside layer small");
            assertThat(store.listSnapshots()).isEmpty();
        }
    }

    @Test
    void blockRunsMergeAdjacentRunsOfOneKindAndKeepTheFirstKindOfAnOverlap() {
        BlockRuns runs = new BlockRuns().data(0, 4).data(4, 4).zeros(8, 2).data(9, 3).zeros(12, 0).zeros(12, 5);
        assertThat(runs.size()).isEqualTo(4);
        assertThat(runs.first(0)).isZero();
        assertThat(runs.count(0)).isEqualTo(8);
        assertThat(runs.isZero(1)).isTrue();
        assertThat(runs.first(2)).isEqualTo(10);
        assertThat(runs.count(2)).isEqualTo(2);
        assertThat(runs.isZero(3)).isTrue();
        assertThat(runs.blocks()).isEqualTo(17);
        assertThat(runs.end()).isEqualTo(17);
        assertThatThrownBy(() -> runs.data(3, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ascending");
    }
}
