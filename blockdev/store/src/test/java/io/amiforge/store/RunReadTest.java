package io.amiforge.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.BlockDeviceException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads of many blocks at once ({@code BlockReads.readRun}): runs of holes, explicit zeros,
 * consecutive slots of one layer and blocks spread over a chain read back exactly what was
 * written (compared with a byte-array model, for aligned and unaligned reads of any length);
 * a damaged block inside a run is reported by number; the read counters count each block once.
 * Long runs (256 KiB and more), which are read ahead and unmapped behind the copy, read the same
 * bytes into heap and native memory, again after they were unmapped, and report damage the same.
 */
class RunReadTest {

    private static final int BS = 4096;
    private static final int BLOCKS = 512;

    @TempDir
    Path dir;

    @Test
    void largeReadsOverAChainMatchTheModel() {
        byte[] model = new byte[BLOCKS * BS];
        SplittableRandom random = new SplittableRandom(2026);
        try (SnapshotStore store = SnapshotStore.open(dir);
                Volume v = store.createVolume("v", (long) BLOCKS * BS, VolumeOptions.defaults().writeStrategy("row"))) {
            String snap = null;
            for (int layer = 0; layer < 4; layer++) {
                // a sequential stretch (consecutive slots), scattered single blocks, a discard
                int start = random.nextInt(BLOCKS - 64);
                write(v, model, start, 1 + random.nextInt(64), random);
                for (int i = 0; i < 40; i++) {
                    write(v, model, random.nextInt(BLOCKS), 1, random);
                }
                int from = random.nextInt(BLOCKS - 16);
                int n = 1 + random.nextInt(16);
                v.discard((long) from * BS, (long) n * BS);
                Arrays.fill(model, from * BS, (from + n) * BS, (byte) 0);
                snap = store.createSnapshot("v", "layer " + layer).id();
            }
            byte[] atSnapshot = model.clone();
            write(v, model, 100, 30, random); // the top layer: not in the snapshot
            byte[] top = model.clone();
            for (int i = 0; i < 300; i++) {
                long offset = random.nextLong(model.length);
                int length = (int) Math.min(model.length - offset, 1 + random.nextInt(200 * BS));
                byte[] got = new byte[length];
                v.read(offset, MemorySegment.ofArray(got));
                assertThat(got).as("read of %d bytes at %d", length, offset)
                        .isEqualTo(Arrays.copyOfRange(top, (int) offset, (int) offset + length));
            }
            byte[] all = new byte[model.length];
            v.read(0, MemorySegment.ofArray(all));
            assertThat(all).isEqualTo(top);
            assertThat(v.stats().blocksRead()).isGreaterThan(0);
            long before = v.stats().blocksRead();
            v.read(0, MemorySegment.ofArray(all));
            assertThat(v.stats().blocksRead() - before).isEqualTo(BLOCKS);
            // the snapshot, before the last writes, through its own device
            try (BlockDevice s = store.openSnapshot(snap)) {
                byte[] snapshotView = new byte[model.length];
                s.read(0, MemorySegment.ofArray(snapshotView));
                assertThat(snapshotView).isEqualTo(atSnapshot);
            }
        }
    }

    private static void write(Volume v, byte[] model, int block, int count, SplittableRandom random) {
        int n = Math.min(count, BLOCKS - block);
        byte[] data = new byte[n * BS];
        random.nextBytes(data);
        v.write((long) block * BS, MemorySegment.ofArray(data));
        System.arraycopy(data, 0, model, block * BS, data.length);
    }

    @Test
    void longRunsReadTheSameBytesIntoHeapAndNativeMemoryAndAfterTheirUnmap() throws Exception {
        byte[] data = new byte[200 * BS]; // 800 KiB in consecutive slots
        new SplittableRandom(8).nextBytes(data);
        String snap;
        try (SnapshotStore store = SnapshotStore.open(dir); Volume v = store.createVolume("disk", 1 << 20, VolumeOptions.defaults())) {
            v.write(10 * BS, MemorySegment.ofArray(data));
            snap = store.createSnapshot("disk", "long run").id();
        }
        Path layer = dataFile();
        try (SnapshotStore store = SnapshotStore.open(dir); BlockDevice s = store.openSnapshot(snap);
                Arena arena = Arena.ofConfined()) {
            for (int[] read : new int[][] {{10, 200}, {0, 256}, {75, 100}, {12, 64}}) { // whole, with holes, inside, short
                int from = read[0];
                int n = read[1];
                byte[] expected = new byte[n * BS];
                for (int b = from; b < from + n; b++) {
                    if (b >= 10 && b < 210) {
                        System.arraycopy(data, (b - 10) * BS, expected, (b - from) * BS, BS);
                    }
                }
                byte[] heap = new byte[n * BS];
                s.read((long) from * BS, MemorySegment.ofArray(heap));
                MemorySegment nat = arena.allocate((long) n * BS, 4096);
                s.read((long) from * BS, nat);
                assertThat(heap).as("heap read of blocks %d-%d", from, from + n - 1).isEqualTo(expected);
                assertThat(nat.toArray(ValueLayout.JAVA_BYTE)).as("native read of blocks %d-%d", from,
                        from + n - 1).isEqualTo(expected);
            }
        }
        flipByte(layer, 150L * BS + 9); // slot 150: block 160
        try (SnapshotStore store = SnapshotStore.open(dir); BlockDevice s = store.openSnapshot(snap);
                Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> s.read(0, arena.allocate(256L * BS, 4096)))
                    .isInstanceOf(BlockDeviceException.Corrupt.class)
                    .hasMessageContaining(snap).hasMessageContaining("block 160");
        }
    }

    private Path dataFile() throws IOException {
        try (var files = Files.list(dir.resolve("layers"))) {
            return files.filter(p -> p.toString().endsWith(".dat")).filter(p -> p.toFile().length() > 0).findFirst().orElseThrow();
        }
    }

    private static void flipByte(Path file, long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ 0x01);
        }
    }

    @Test
    void aDamagedBlockInsideARunIsReportedByNumber() throws Exception {
        String snap;
        byte[] data = new byte[8 * BS];
        new SplittableRandom(5).nextBytes(data);
        try (SnapshotStore store = SnapshotStore.open(dir); Volume v = store.createVolume("disk", 1 << 20, VolumeOptions.defaults())) {
            v.write(16 * BS, MemorySegment.ofArray(data)); // blocks 16-23 in slots 0-7
            snap = store.createSnapshot("disk", "before damage").id();
        }
        flipByte(dataFile(), 3 * BS + 17); // slot 3: block 19
        try (SnapshotStore store = SnapshotStore.open(dir); BlockDevice s = store.openSnapshot(snap)) {
            byte[] before = new byte[3 * BS];
            s.read(16 * BS, MemorySegment.ofArray(before));
            assertThat(before).isEqualTo(Arrays.copyOf(data, 3 * BS));
            assertThatThrownBy(() -> s.read(0, MemorySegment.ofArray(new byte[64 * BS])))
                    .isInstanceOf(BlockDeviceException.Corrupt.class)
                    .hasMessageContaining(snap).hasMessageContaining("block 19");
        }
    }
}
