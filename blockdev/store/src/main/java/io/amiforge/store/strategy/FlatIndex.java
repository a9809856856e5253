package io.amiforge.store.strategy;

import io.amiforge.store.spi.LayerStack;
import io.amiforge.store.spi.ReadIndex;
import io.amiforge.store.spi.ReadIndexProvider;
import io.amiforge.store.spi.StrategyStats;

/**
 * Flattened index: one sparse array maps every block to the ordinal of the top-most layer
 * holding it, so a read costs one lookup (plus the layer's own) at any depth. Built in one pass
 * over the stack (bottom up, O(blocks stored)); a snapshot reuses it unchanged, because taking a
 * snapshot only adds an empty layer on top and ordinals are stable. Reports its entries and the
 * bytes of memory they take.
 */
public final class FlatIndex implements ReadIndex {

    /** The flat read index. */
    public FlatIndex() {
    }

    @Override
    public Resolver build(LayerStack stack) {
        SparseLongArray map = new SparseLongArray(stack.blocks());
        for (int ordinal = 0; ordinal < stack.depth(); ordinal++) {
            long value = ordinal + 1L;
            stack.forEachBlock(ordinal, block -> map.set(block, value));
        }
        return new Flat(stack, map);
    }

    private record Flat(LayerStack stack, SparseLongArray map) implements Resolver {

        @Override
        public int find(long block) {
            return (int) map.get(block) - 1;
        }

        @Override
        public int visited(int found) {
            return 1;
        }

        @Override
        public void written(long block, int ordinal) {
            map.set(block, ordinal + 1L);
        }

        @Override
        public Resolver grown(LayerStack grown) {
            return new Flat(grown, map);
        }

        @Override
        public StrategyStats stats() {
            return sink -> {
                sink.accept("entries", map.count());
                sink.accept("memoryBytes", map.allocatedBytes());
            };
        }
    }

    /** Registers {@code flat}. */
    public static final class Provider implements ReadIndexProvider {

        /** Used by {@link java.util.ServiceLoader}. */
        public Provider() {
        }

        @Override
        public String name() {
            return "flat";
        }

        @Override
        public String description() {
            return "flattened index: one lookup at any chain depth; 8 bytes of memory per block of the chain";
        }

        @Override
        public ReadIndex create() {
            return new FlatIndex();
        }
    }
}
