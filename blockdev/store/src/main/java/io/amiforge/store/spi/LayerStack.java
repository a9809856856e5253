package io.amiforge.store.spi;

import java.util.function.LongConsumer;

/**
 * The layers a volume (or snapshot) reads through, by ordinal: 0 is the bottom (the oldest
 * base), {@code depth()-1} the top. Each layer answers for its own blocks only; a block no
 * layer holds reads as zeros. Ordinals are stable while the stack grows at the top.
 *
 * <p>A layer describes where it keeps a block with an <em>entry</em>: an opaque, non-zero
 * {@code long} that the store reads the block with (0: the layer does not hold the block). A
 * read index may keep entries, so that a read needs no second lookup in the layer; it learns of
 * every later change through {@link ReadIndex.Resolver#written}.
 */
public interface LayerStack {

    /** Receives one block of a layer and its entry. */
    @FunctionalInterface
    interface EntryVisitor {
        /** {@code block} is held by the layer, described by {@code entry} (never 0). */
        void accept(long block, long entry);
    }

    /** Number of layers; 0 for a stack with no layer at all. */
    int depth();

    /** The entry of {@code block} in the layer at {@code ordinal}, 0 if that layer does not hold it. */
    long entry(int ordinal, long block);

    /** Whether the layer at {@code ordinal} holds {@code block} (data or an explicit zero). */
    default boolean has(int ordinal, long block) {
        return entry(ordinal, block) != 0;
    }

    /** Calls {@code action} with every block (and its entry) the layer at {@code ordinal} holds, ascending. */
    void forEachEntry(int ordinal, EntryVisitor action);

    /** Calls {@code action} with every block the layer at {@code ordinal} holds, ascending. */
    default void forEachBlock(int ordinal, LongConsumer action) {
        forEachEntry(ordinal, (block, entry) -> action.accept(block));
    }

    /**
     * The layer's entries in the order it recorded them, cheapest for building an index from
     * scratch: a block may come more than once, its last report is its entry; no order between
     * blocks. Unlike {@link #forEachEntry} it need not build the layer's own lookup table (a
     * layer not read otherwise keeps none in memory).
     */
    default void replay(int ordinal, EntryVisitor action) {
        forEachEntry(ordinal, action);
    }

    /** Number of blocks the volume has (its size / block size). */
    long blocks();
}
