package io.amiforge.store.strategy;

import io.amiforge.store.spi.LayerStack;
import io.amiforge.store.spi.Location;
import io.amiforge.store.spi.ReadIndex;
import io.amiforge.store.spi.ReadIndexProvider;
import io.amiforge.store.spi.StrategyStats;

/**
 * Flattened index: one hash table maps every block of the chain straight to where it is, the
 * ordinal of the top-most layer holding it and that layer's entry (data slot and checksum), so a
 * read costs one lookup at any depth and never asks the layer. Built in one pass over the
 * layers' recorded entries, bottom up ({@link LayerStack#replay}: O(blocks stored), without
 * building the layers' own tables); a snapshot reuses it unchanged, because taking a snapshot
 * only adds an empty layer on top and ordinals are stable, and a pack of some of its layers
 * patches only their blocks' entries ({@link #relayered}). Memory follows the blocks stored
 * ({@link BlockMap}: 20-40 bytes each), not the chain's depth or the volume's size. Reports its
 * entries and the bytes of memory they take.
 */
public final class FlatIndex implements ReadIndex {

    /** The flat read index. */
    public FlatIndex() {
    }

    @Override
    public Resolver build(LayerStack stack) {
        BlockMap map = new BlockMap();
        for (int ordinal = 0; ordinal < stack.depth(); ordinal++) {
            int tag = ordinal;
            stack.replay(ordinal, (block, entry) -> map.put(block, entry, tag));
        }
        return new Flat(stack, map);
    }

    /**
     * Patches {@code current}'s table instead of building a new one: for each block of a replaced
     * layer whose table entry is that layer's (its tag is the ordinal; a block an upper layer
     * shadows keeps its entry), the new layer's entry. O(blocks of the replaced layers), whatever
     * the chain holds.
     */
    @Override
    public Resolver relayered(Resolver current, LayerStack stack, int[] ordinals) {
        if (!(current instanceof Flat flat) || flat.stack().depth() != stack.depth()) {
            return build(stack);
        }
        BlockMap map = flat.map();
        for (int ordinal : ordinals) {
            stack.replay(ordinal, (block, entry) -> map.replaceTagged(block, ordinal, entry));
        }
        return new Flat(stack, map);
    }

    private record Flat(LayerStack stack, BlockMap map) implements Resolver {

        @Override
        public int find(long block) {
            return map.tag(block, -1);
        }

        @Override
        public void locate(long block, Location into) {
            map.lookup(block, into);
        }

        @Override
        public long nextHeld(long from) {
            return map.nextPresent(from);
        }

        @Override
        public int visited(int found) {
            return 1;
        }

        @Override
        public void written(long block, int ordinal, long entry) {
            map.put(block, entry, ordinal);
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
            return "flattened index: one lookup at any chain depth; 20-40 bytes of memory per block of the chain";
        }

        @Override
        public ReadIndex create() {
            return new FlatIndex();
        }
    }
}
