package io.amiforge.store.strategy;

/**
 * Read resolution: which layer of a {@link LayerStack} answers for a block. Implementations:
 * {@link WalkIndex} (layer by layer from the top: cost grows with depth) and {@link FlatIndex}
 * (one lookup at any depth). A researcher adds one by implementing this and {@link Resolver}.
 */
public interface ReadIndex {

    /** The name used in volume options ("walk", "flat"). */
    String name();

    /** Builds a resolver for {@code stack} from scratch (on open, clone, rollback, flatten). */
    Resolver build(LayerStack stack);

    /** Resolves blocks of one stack; {@link #find} may run concurrently with one writer. */
    interface Resolver {

        LayerStack stack();

        /** The ordinal of the top-most layer holding {@code block}, or -1 (zeros). */
        int find(long block);

        /** Layers looked at by a {@link #find} that returned {@code found} (for statistics). */
        int visited(int found);

        /** Told (by the one writer) that {@code block} was just stored in layer {@code ordinal}. */
        void written(long block, int ordinal);

        /**
         * The same resolver over {@code grown}, which is this stack with one new, empty layer on
         * top (a snapshot was taken). Must do no per-block work.
         */
        Resolver grown(LayerStack grown);
    }
}
