package io.amiforge.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.AllocationStatus;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.Extent;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Volumes and snapshots report allocation from the store's map: a block written anywhere in
 * the chain is DATA (even when the data is zeros), a block never written or discarded is
 * ZERO, each snapshot keeps the map it had when it was taken, for every strategy combination.
 */
class StoreAllocationTest {

    private static final int BS = 4096;
    private static final int BLOCKS = 64;

    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({"row, walk", "row, flat", "cow, walk", "cow, flat"})
    void mapFollowsWritesDiscardsAndSnapshotsAcrossAChain(String write, String read) {
        VolumeOptions options = VolumeOptions.defaults().writeStrategy(write).readIndex(read);
        try (SnapshotStore store = SnapshotStore.open(dir.resolve("store"))) {
            try (Volume v = store.createVolume("v", (long) BS * BLOCKS, options)) {
                assertThat(dataBlocks(v)).isEmpty();
                writeBlock(v, 1, 1);
                writeBlock(v, 2, 2);
                writeBlock(v, 3, 3);
                writeBlock(v, 10, 0);               // zeros written are still stored data
                String s1 = store.createSnapshot("v", "one").id();
                writeBlock(v, 20, 4);
                v.discard(2L * BS, BS);             // held by s1: an explicit zero on top
                v.discard(30L * BS, BS);            // never written: stays a hole
                String s2 = store.createSnapshot("v", "two").id();
                writeBlock(v, 2, 5);
                v.discard(1L * BS, 2L * BS);        // blocks 1 and 2
                v.write(40L * BS + 100, MemorySegment.ofArray(new byte[]{9})); // part of a block

                assertThat(dataBlocks(v)).containsExactly(3L, 10L, 20L, 40L);
                assertThat(snapshotBlocks(store, s1)).containsExactly(1L, 2L, 3L, 10L);
                assertThat(snapshotBlocks(store, s2)).containsExactly(1L, 3L, 10L, 20L);
                // an extent may start and end inside blocks
                assertThat(((AllocationStatus) v).extentAt(3L * BS + 7, 100))
                        .isEqualTo(new Extent(3L * BS + 7, 100, Extent.Kind.DATA));
                assertThat(((AllocationStatus) v).extentAt(4L * BS + 1, 6L * BS))
                        .isEqualTo(new Extent(4L * BS + 1, 6L * BS - 1, Extent.Kind.ZERO));

                try (Volume clone = store.cloneVolume(s2, "c")) {
                    writeBlock(clone, 50, 6);
                    clone.discard(3L * BS, BS);
                    assertThat(dataBlocks(clone)).containsExactly(1L, 10L, 20L, 50L);
                }
                assertThat(snapshotBlocks(store, s2)).containsExactly(1L, 3L, 10L, 20L);
            }
        }
        try (SnapshotStore store = SnapshotStore.open(dir.resolve("store")); Volume v = store.openVolume("v")) {
            assertThat(dataBlocks(v)).containsExactly(3L, 10L, 20L, 40L); // the map survives a reopen
        }
    }

    @Test
    void holesAreWalkedThroughTheFlatIndexWithoutLoadingTheLayersOwnTables() {
        String top;
        try (SnapshotStore store = SnapshotStore.open(dir.resolve("store"));
             Volume v = store.createVolume("v", (long) BS * BLOCKS, VolumeOptions.defaults().readIndex("flat"))) {
            writeBlock(v, 1, 1);
            writeBlock(v, 7, 2);
            store.createSnapshot("v", "one");
            writeBlock(v, 33, 3);
            v.discard(7L * BS, BS);
            top = store.createSnapshot("v", "two").id();
        }
        try (SnapshotStore store = SnapshotStore.open(dir.resolve("store"));
             SnapshotDevice snapshot = (SnapshotDevice) store.openSnapshot(top)) {
            assertThat(dataBlocks(snapshot)).containsExactly(1L, 33L);
            Stack stack = (Stack) snapshot.resolver().stack();
            assertThat(stack.layers).hasSize(2).noneMatch(Layer::tableLoaded); // an export reads no layer's index twice
        }
    }

    @ParameterizedTest
    @CsvSource({"row, walk, 1", "row, flat, 2", "cow, walk, 3", "cow, flat, 4"})
    void randomProgramsMatchAModel(String write, String read, long seed) {
        VolumeOptions options = VolumeOptions.defaults().writeStrategy(write).readIndex(read);
        Random random = new Random(seed);
        Map<String, boolean[]> snapshots = new LinkedHashMap<>();
        boolean[] model = new boolean[BLOCKS];
        try (SnapshotStore store = SnapshotStore.open(dir.resolve("store"));
             Volume v = store.createVolume("v", (long) BS * BLOCKS, options)) {
            for (int step = 0; step < 60; step++) {
                int block = random.nextInt(BLOCKS);
                int op = random.nextInt(10);
                if (op < 6) {
                    writeBlock(v, block, random.nextInt(4));
                    model[block] = true;
                } else if (op < 9) {
                    int count = 1 + random.nextInt(Math.min(4, BLOCKS - block));
                    v.discard((long) block * BS, (long) count * BS);
                    Arrays.fill(model, block, block + count, false);
                } else {
                    snapshots.put(store.createSnapshot("v", "step " + step).id(), model.clone());
                }
                assertThat(dataBlocks(v)).as("volume after step %d", step).isEqualTo(blocksOf(model));
            }
            for (Map.Entry<String, boolean[]> s : snapshots.entrySet()) {
                assertThat(snapshotBlocks(store, s.getKey())).as(s.getKey()).isEqualTo(blocksOf(s.getValue()));
            }
        }
    }

    private static void writeBlock(BlockDevice device, long block, int fill) {
        byte[] data = new byte[BS];
        Arrays.fill(data, (byte) fill);
        device.write(block * BS, MemorySegment.ofArray(data));
    }

    private static List<Long> snapshotBlocks(SnapshotStore store, String id) {
        try (BlockDevice snapshot = store.openSnapshot(id)) {
            return dataBlocks(snapshot);
        }
    }

    /** The blocks reported as DATA, walking the device extent by extent. */
    private static List<Long> dataBlocks(BlockDevice device) {
        AllocationStatus status = (AllocationStatus) device;
        List<Long> blocks = new ArrayList<>();
        long pos = 0;
        while (pos < device.size()) {
            Extent e = status.extentAt(pos, device.size() - pos);
            assertThat(e.offset()).isEqualTo(pos);
            assertThat(e.kind()).isIn(Extent.Kind.DATA, Extent.Kind.ZERO);
            if (e.kind() == Extent.Kind.DATA) {
                for (long b = e.offset() / BS; b < (e.end() + BS - 1) / BS; b++) {
                    blocks.add(b);
                }
            } else {
                assertReadsAsZeros(device, e);
            }
            pos = e.end();
        }
        return blocks;
    }

    private static void assertReadsAsZeros(BlockDevice device, Extent e) {
        byte[] buf = new byte[(int) e.length()];
        device.read(e.offset(), MemorySegment.ofArray(buf));
        assertThat(buf).as("%s reads as zeros", e).containsOnly(0);
    }

    private static List<Long> blocksOf(boolean[] model) {
        List<Long> blocks = new ArrayList<>();
        for (int b = 0; b < model.length; b++) {
            if (model[b]) {
                blocks.add((long) b);
            }
        }
        return blocks;
    }
}
