package io.amiforge.store.spi;

/**
 * Read resolution: which layer of a {@link LayerStack} answers for a block. One instance per
 * open volume, made by its {@link ReadIndexProvider}; it builds a {@link Resolver} whenever the
 * volume's stack is rebuilt (open, clone, rollback, flatten, merges).
 */
public interface ReadIndex {

    /** Builds a resolver for {@code stack} from scratch. */
    Resolver build(LayerStack stack);

    /** Resolves blocks of one stack; {@link #find} may run concurrently with one writer. */
    interface Resolver {

        /** The stack this resolver answers for. */
        LayerStack stack();

        /**
         * The ordinal of the top-most layer holding {@code block}, or -1 (zeros). On the read
         * path: must not allocate. May return an ordinal at or above {@code stack().depth()} when
         * a racing writer already recorded a block in a layer pushed after this resolver; the
         * reader then retries with the volume's newer resolver.
         */
        int find(long block);

        /** Layers looked at by a {@link #find} that returned {@code found} (the store's lookup statistics). */
        int visited(int found);

        /** Told (by the one writer) that {@code block} was just stored in layer {@code ordinal}. */
        void written(long block, int ordinal);

        /**
         * The same resolver over {@code grown}, which is this stack with one new, empty layer on
         * top (a snapshot was taken). Must do no per-block work.
         */
        Resolver grown(LayerStack grown);

        /** This resolver's own counters (index entries, bytes it holds); read rarely, from any thread. */
        default StrategyStats stats() {
            return StrategyStats.NONE;
        }
    }
}
