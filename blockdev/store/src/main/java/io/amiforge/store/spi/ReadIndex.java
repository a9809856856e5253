package io.amiforge.store.spi;

/**
 * Read resolution: which layer of a {@link LayerStack} answers for a block, and with which
 * entry. One instance per open volume, made by its {@link ReadIndexProvider}; it builds a
 * {@link Resolver} whenever the volume's stack is rebuilt (open, clone, rollback, flatten,
 * merges), and follows a pack of some of its layers with {@link #relayered}.
 */
public interface ReadIndex {

    /** Builds a resolver for {@code stack} from scratch. */
    Resolver build(LayerStack stack);

    /**
     * A resolver for {@code stack}, which is {@code current}'s stack with the layers at
     * {@code ordinals} replaced by layers that hold exactly the same blocks with the same contents
     * elsewhere (other entries): a pack moved their data. The depth and every other layer are
     * unchanged. The store calls it with no reader of the volume in progress and uses
     * {@code current} no more afterwards, so the answer may share and change {@code current}'s
     * state. The default builds from scratch (O(blocks of the stack)); an index that keeps
     * entries may patch instead: only a block whose top-most layer is one of {@code ordinals}
     * changes its entry, to the new layer's ({@link LayerStack#replay} of that ordinal), which is
     * O(blocks of the replaced layers).
     */
    default Resolver relayered(Resolver current, LayerStack stack, int[] ordinals) {
        return build(stack);
    }

    /**
     * Resolves blocks of one stack; {@link #find} and {@link #locate} may run concurrently with
     * one writer.
     */
    interface Resolver {

        /** {@link #nextHeld}'s answer when the resolver does not know. */
        long UNKNOWN = -2;

        /** The stack this resolver answers for. */
        LayerStack stack();

        /**
         * The ordinal of the top-most layer holding {@code block}, or -1 (zeros). Must not
         * allocate. May return an ordinal at or above {@code stack().depth()} when a racing
         * writer already recorded a block in a layer pushed after this resolver; the reader then
         * retries with the volume's newer resolver.
         */
        int find(long block);

        /**
         * The read path: the top-most layer holding {@code block} and its entry, into {@code into}
         * ({@code -1, 0} for zeros). Must not allocate. An index that keeps entries answers in one
         * lookup; the default asks {@link #find}, then the layer. Racing a writer, the ordinal and
         * the entry may come from either side of one write: the reader checks what it reads
         * against the entry's checksum and retries.
         */
        default void locate(long block, Location into) {
            int ordinal = find(block);
            LayerStack stack = stack();
            into.set(ordinal, ordinal < 0 || ordinal >= stack.depth() ? 0 : stack.entry(ordinal, block));
        }

        /**
         * The first block at or after {@code from} that some layer of the stack holds (data or an
         * explicit zero), or -1 when none does; or {@link #UNKNOWN} when this resolver cannot tell
         * without asking the layers, which is the default. The allocation map walks holes with it
         * (an export of a sparse volume jumps from stored block to stored block): an index that
         * keeps every block of the chain answers without loading each layer's own table.
         */
        default long nextHeld(long from) {
            return UNKNOWN;
        }

        /** Layers looked at by a {@link #find} that returned {@code found} (the store's lookup statistics). */
        int visited(int found);

        /**
         * Told (by the one writer) that {@code block} was just stored in layer {@code ordinal},
         * where its entry now is {@code entry}. The default tells {@link #written(long, int)}.
         */
        default void written(long block, int ordinal, long entry) {
            written(block, ordinal);
        }

        /**
         * The same news without the entry, for an index that keeps only ordinals (the form of this
         * SPI before entries, still called for such plug-ins). Does nothing by default.
         */
        default void written(long block, int ordinal) {
        }

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
