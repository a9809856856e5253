package io.amiforge.store.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.store.spi.Location;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@link BlockMap} against a {@link HashMap} model, its memory bound, and readers racing one writer. */
class BlockMapTest {

    @Test
    void agreesWithAMapModelOverDenseSparseAndStridedBlocks() {
        SplittableRandom random = new SplittableRandom(7);
        BlockMap map = new BlockMap();
        Map<Long, long[]> model = new HashMap<>();
        for (int i = 0; i < 200_000; i++) {
            long block = switch (i % 3) {
                case 0 -> random.nextLong(1L << 41);         // sparse over a 1 PiB volume of 512-byte blocks
                case 1 -> random.nextLong(5_000);              // dense, often overwritten
                default -> (i * 0x9E37_79B9L) & ((1L << 22) - 1); // strided
            };
            long value = random.nextLong(1, Long.MAX_VALUE);
            int tag = random.nextInt();
            long[] old = model.put(block, new long[] {value, tag});
            assertThat(map.put(block, value, tag)).isEqualTo(old == null ? 0 : old[0]);
        }
        assertThat(map.count()).isEqualTo(model.size());
        Location where = new Location();
        model.forEach((block, vt) -> {
            assertThat(map.get(block)).isEqualTo(vt[0]);
            assertThat(map.tag(block, -1)).isEqualTo((int) vt[1]);
            map.lookup(block, where);
            assertThat(where.ordinal()).isEqualTo((int) vt[1]);
            assertThat(where.entry()).isEqualTo(vt[0]);
        });
        assertThat(map.get(1L << 42)).isZero();
        assertThat(map.tag(1L << 42, -7)).isEqualTo(-7);
        map.lookup(1L << 42, where);
        assertThat(where.ordinal()).isEqualTo(-1);
        assertThat(where.entry()).isZero();
        List<Long> seen = new ArrayList<>();
        map.forEach((block, value) -> {
            seen.add(block);
            assertThat(value).isEqualTo(model.get(block)[0]);
            return 0;
        });
        assertThat(seen).containsExactlyElementsOf(new TreeMap<>(model).keySet());
        // memory follows the entries: at most 2 slots of 20 bytes per entry once grown
        assertThat(map.allocatedBytes()).isLessThanOrEqualTo(40L * model.size() + 40L * 16);
    }

    @Test
    void retagChangesOnlyPresentBlocksAndZeroValuesAreRefused() {
        BlockMap map = new BlockMap();
        map.put(5, 50, 1);
        assertThat(map.retag(5, 9)).isTrue();
        assertThat(map.retag(6, 9)).isFalse();
        assertThat(map.tag(5, -1)).isEqualTo(9);
        assertThat(map.get(5)).isEqualTo(50);
        assertThatThrownBy(() -> map.put(6, 0, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("block 6");
    }

    @Test
    void readersRacingTheWriterNeverMissAnEntryOnceWritten() throws Exception {
        BlockMap map = new BlockMap();
        int n = 300_000;
        AtomicReference<String> failure = new AtomicReference<>();
        long[] published = new long[1];
        Thread[] readers = new Thread[2];
        for (int r = 0; r < readers.length; r++) {
            int seed = r;
            readers[r] = new Thread(() -> {
                SplittableRandom random = new SplittableRandom(seed);
                Location where = new Location();
                while (failure.get() == null) {
                    long upTo;
                    synchronized (published) {
                        upTo = published[0];
                    }
                    if (upTo == n) {
                        return;
                    }
                    if (upTo == 0) {
                        continue;
                    }
                    long block = random.nextLong(upTo) * 7919;
                    map.lookup(block, where);
                    if (where.entry() != block + 1 || where.ordinal() != (int) (block & 0xFFFF)) {
                        failure.set("block " + block + " read (" + where.ordinal() + ", " + where.entry() + ")");
                    }
                }
            });
            readers[r].start();
        }
        for (int i = 0; i < n; i++) {
            long block = i * 7919L;
            map.put(block, block + 1, (int) (block & 0xFFFF));
            if (i % 1000 == 999 || i == n - 1) {
                synchronized (published) {
                    published[0] = i + 1;
                }
            }
        }
        for (Thread t : readers) {
            t.join();
        }
        assertThat(failure.get()).isNull();
    }
}
