package io.amiforge.store.strategy;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.store.spi.LayerStack;
import io.amiforge.store.spi.Location;
import io.amiforge.store.spi.ReadIndex;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * {@link FlatIndex#relayered}: after layers are replaced by layers holding the same blocks at new
 * entries (a pack), the patched resolver answers every block exactly as one built from scratch
 * over the new stack, blocks shadowed by upper layers and by writes to the top included, and it
 * patched the table it had (no second table was built).
 */
class FlatIndexRelayerTest {

    /** An in-memory stack: one sorted map of block to entry per ordinal. */
    private record MapStack(List<TreeMap<Long, Long>> layers, long blocks) implements LayerStack {

        @Override
        public int depth() {
            return layers.size();
        }

        @Override
        public long entry(int ordinal, long block) {
            return layers.get(ordinal).getOrDefault(block, 0L);
        }

        @Override
        public void forEachEntry(int ordinal, EntryVisitor action) {
            layers.get(ordinal).forEach(action::accept);
        }

        MapStack replacing(int ordinal, TreeMap<Long, Long> with) {
            List<TreeMap<Long, Long>> l = new ArrayList<>(layers);
            l.set(ordinal, with);
            return new MapStack(l, blocks);
        }
    }

    @Test
    void aPatchedIndexAnswersAsARebuiltOne() {
        SplittableRandom random = new SplittableRandom(13);
        for (int round = 0; round < 20; round++) {
            long blocks = 4096;
            int depth = 2 + random.nextInt(40);
            List<TreeMap<Long, Long>> layers = new ArrayList<>();
            for (int o = 0; o < depth; o++) {
                TreeMap<Long, Long> layer = new TreeMap<>();
                int n = random.nextInt(200);
                for (int i = 0; i < n; i++) {
                    layer.put(random.nextLong(blocks), random.nextLong(1, Long.MAX_VALUE));
                }
                layers.add(layer);
            }
            MapStack stack = new MapStack(layers, blocks);
            FlatIndex index = new FlatIndex();
            ReadIndex.Resolver resolver = index.build(stack);
            // the writer shadows some blocks of the lower layers after the build
            TreeMap<Long, Long> top = layers.get(depth - 1);
            for (int i = 0; i < 100; i++) {
                long block = random.nextLong(blocks);
                long entry = random.nextLong(1, Long.MAX_VALUE);
                top.put(block, entry);
                resolver.written(block, depth - 1, entry);
            }
            // a pack: some layers below the top get new entries for the same blocks
            MapStack packed = stack;
            List<Integer> changed = new ArrayList<>();
            for (int o = 0; o < depth - 1; o++) {
                if (random.nextBoolean()) {
                    TreeMap<Long, Long> moved = new TreeMap<>();
                    layers.get(o).forEach((block, entry) -> moved.put(block, random.nextLong(1, Long.MAX_VALUE)));
                    packed = packed.replacing(o, moved);
                    changed.add(o);
                }
            }
            ReadIndex.Resolver patched = index.relayered(resolver, packed,
                    changed.stream().mapToInt(Integer::intValue).toArray());
            ReadIndex.Resolver rebuilt = index.build(packed);
            assertThat(patched.stack()).isSameAs(packed);
            Location a = new Location();
            Location b = new Location();
            for (long block = 0; block < blocks; block++) {
                patched.locate(block, a);
                rebuilt.locate(block, b);
                assertThat(a.ordinal()).as("round %d block %d: ordinal", round, block).isEqualTo(b.ordinal());
                assertThat(a.entry()).as("round %d block %d: entry", round, block).isEqualTo(b.entry());
                if (a.ordinal() >= 0) {
                    assertThat(a.entry()).isEqualTo(packed.entry(a.ordinal(), block));
                    resolver.locate(block, b); // the old resolver's table was patched in place, not copied
                    assertThat(b.entry()).as("round %d block %d: patched in place", round, block).isEqualTo(a.entry());
                }
            }
        }
    }

    @Test
    void anIndexWithoutItsOwnPatchIsRebuilt() {
        TreeMap<Long, Long> base = new TreeMap<>();
        base.put(3L, 30L);
        MapStack stack = new MapStack(new ArrayList<>(List.of(base, new TreeMap<>())), 16);
        ReadIndex walk = new WalkIndex();
        TreeMap<Long, Long> moved = new TreeMap<>();
        moved.put(3L, 31L);
        MapStack packed = stack.replacing(0, moved);
        ReadIndex.Resolver r = walk.relayered(walk.build(stack), packed, new int[] {0});
        assertThat(r.stack()).isSameAs(packed);
        Location where = new Location();
        r.locate(3, where);
        assertThat(where.entry()).isEqualTo(31L);
    }
}
