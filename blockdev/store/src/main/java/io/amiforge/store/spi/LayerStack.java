package io.amiforge.store.spi;

import java.util.function.LongConsumer;

/**
 * The layers a volume (or snapshot) reads through, by ordinal: 0 is the bottom (the oldest
 * base), {@code depth()-1} the top. Each layer answers for its own blocks only; a block no
 * layer holds reads as zeros. Ordinals are stable while the stack grows at the top.
 */
public interface LayerStack {

    /** Number of layers; 0 for a stack with no layer at all. */
    int depth();

    /** Whether the layer at {@code ordinal} holds {@code block} (data or an explicit zero). */
    boolean has(int ordinal, long block);

    /** Calls {@code action} with every block the layer at {@code ordinal} holds, ascending. */
    void forEachBlock(int ordinal, LongConsumer action);

    /** Number of blocks the volume has (its size / block size). */
    long blocks();
}
