package io.amiforge.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Readers of a volume never see wrong data while automatic packs commit under them: a pack
 * moves the volume onto new layers and patches its flat index for the packed blocks only
 * ({@link VolumeState#relayer}), and every read meanwhile (several threads, runs of 1 to 24 blocks
 * and single blocks) returns, for each block, the block's own self-describing contents at a
 * version no older than the last write that had returned before the read began. A patch that
 * left a packed block on its old entry (a slot of the old layer, read from the pack) or gave a
 * block an entry of a layer that an upper layer shadows fails here.
 */
@Timeout(240)
class AutoPackReadRaceTest {

    private static final int BLOCK = 4096;
    private static final int BLOCKS = 1024;
    private static final int SNAPSHOTS = 160;
    private static final int READERS = 3;

    @TempDir
    Path dir;

    @Test
    void readsDuringPackCommitsReturnTheRightBlocks() throws Exception {
        AtomicLongArray written = new AtomicLongArray(BLOCKS); // version of each block's last returned write
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong reads = new AtomicLong();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        try (SnapshotStore store = SnapshotStore.open(dir, new AutoPack(true, 4));
                Volume v = store.createVolume("disk", (long) BLOCKS * BLOCK, VolumeOptions.defaults());
                Arena arena = Arena.ofShared()) {
            MemorySegment buf = arena.allocate(BLOCK);
            SplittableRandom random = new SplittableRandom(42);
            long version = 0;
            for (int b = 0; b < BLOCKS; b += 3) { // a base below the small layers, so packs have a chain to sit on
                write(v, buf, b, ++version, written);
            }
            store.createSnapshot("disk", "base");
            List<Thread> readers = new ArrayList<>();
            for (int r = 0; r < READERS; r++) {
                long seed = r;
                Thread t = new Thread(() -> {
                    try (Arena own = Arena.ofConfined()) {
                        read(v, own.allocate(24L * BLOCK), new SplittableRandom(seed), written, stop, reads);
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }, "reader-" + r);
                t.start();
                readers.add(t);
            }
            for (int s = 0; s < SNAPSHOTS && failures.isEmpty(); s++) {
                int n = 1 + random.nextInt(12);
                for (int i = 0; i < n; i++) {
                    write(v, buf, random.nextInt(BLOCKS), ++version, written);
                }
                store.createSnapshot("disk", "s" + s);
            }
            store.awaitMaintenance();
            Thread.sleep(100); // reads after the last commit too
            stop.set(true);
            for (Thread t : readers) {
                t.join();
            }
            assertThat(failures).as("reader failures").isEmpty();
            assertThat(store.maintenanceFailures()).isEmpty();
            assertThat(store.autoPackStats().packs()).as("packs committed while reading").isGreaterThanOrEqualTo(20);
            assertThat(reads.get()).as("reads").isPositive();
            try (Arena own = Arena.ofConfined()) { // and everything once more, in one run, after the last pack
                MemorySegment all = own.allocate((long) BLOCKS * BLOCK);
                v.read(0, all);
                for (int b = 0; b < BLOCKS; b++) {
                    check(all.asSlice((long) b * BLOCK, BLOCK), b, written.get(b), written.get(b));
                }
            }
        }
    }

    private static void write(Volume v, MemorySegment buf, int block, long version, AtomicLongArray written) {
        fill(buf, block, version);
        v.write((long) block * BLOCK, buf);
        written.set(block, version);
    }

    private static void read(Volume v, MemorySegment buf, SplittableRandom random, AtomicLongArray written,
            AtomicBoolean stop, AtomicLong reads) {
        long[] least = new long[24];
        while (!stop.get()) {
            int count = random.nextInt(4) == 0 ? 1 : 1 + random.nextInt(24);
            int first = random.nextInt(BLOCKS - count + 1);
            for (int i = 0; i < count; i++) {
                least[i] = written.get(first + i);
            }
            MemorySegment dst = buf.asSlice(0, (long) count * BLOCK);
            v.read((long) first * BLOCK, dst);
            for (int i = 0; i < count; i++) {
                check(dst.asSlice((long) i * BLOCK, BLOCK), first + i, least[i], Long.MAX_VALUE);
            }
            reads.incrementAndGet();
        }
    }

    /** A block's contents: its number, the version written, then a pattern of both. */
    private static void fill(MemorySegment buf, int block, long version) {
        buf.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, block);
        buf.set(ValueLayout.JAVA_LONG_UNALIGNED, 8, version);
        long x = block * 0x9E37_79B9_7F4A_7C15L ^ version;
        for (int i = 16; i < BLOCK; i += 8) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            buf.set(ValueLayout.JAVA_LONG_UNALIGNED, i, x);
        }
    }

    /** Checks that {@code got} is block {@code block}'s contents at a version in {@code [least, most]} (0: never written, zeros). */
    private static void check(MemorySegment got, int block, long least, long most) {
        long version = got.get(ValueLayout.JAVA_LONG_UNALIGNED, 8);
        if (version == 0 && least == 0) {
            assertThat(got.mismatch(MemorySegment.ofArray(new byte[BLOCK]))).as("block %d never written: zeros", block)
                    .isEqualTo(-1);
            return;
        }
        assertThat(got.get(ValueLayout.JAVA_LONG_UNALIGNED, 0)).as("block %d: its own contents", block).isEqualTo(block);
        assertThat(version).as("block %d: version at least the last returned write", block).isBetween(least, most);
        MemorySegment expected = MemorySegment.ofArray(new byte[BLOCK]);
        fill(expected, block, version);
        assertThat(got.mismatch(expected)).as("block %d version %d: intact", block, version).isEqualTo(-1);
    }
}
