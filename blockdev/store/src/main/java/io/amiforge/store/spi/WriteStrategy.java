package io.amiforge.store.spi;

/**
 * How a volume's writes and snapshots relate. One instance per open volume, made by its
 * {@link WriteStrategyProvider}; all its methods run on the store's journal thread.
 *
 * <p>The store offers two placements and the strategy picks one with
 * {@link #freezesOnSnapshot()}: redirect-on-write (a snapshot freezes the volume's top layer and
 * new writes go to a fresh one) or in place (the volume's current layer is never frozen; a
 * snapshot only opens a new generation, and a block a snapshot still needs must be copied out
 * before it is overwritten). Before every block write the store calls
 * {@link #beforeOverwrite}, where the strategy decides what to copy out.
 */
public interface WriteStrategy {

    /**
     * Whether a snapshot freezes the current layer (true) or keeps updating it in place (false).
     * Must be the same for every instance of one strategy name: the volume's layers on disk
     * depend on it.
     */
    boolean freezesOnSnapshot();

    /**
     * Called on the journal thread before {@code block} of the volume's current layer is
     * replaced. An in-place strategy must copy out every block a snapshot still needs
     * ({@link CopyOutContext#ownerSnapshot} not null) or that snapshot's contents change.
     */
    void beforeOverwrite(CopyOutContext context, long block);

    /** This strategy's own counters for the volume (decisions taken, bytes copied); read rarely, from any thread. */
    default StrategyStats stats() {
        return StrategyStats.NONE;
    }

    /** What a write strategy may do before an overwrite. */
    interface CopyOutContext {

        /** The snapshot whose contents still live in the current layer at {@code block}, or null. */
        String ownerSnapshot(long block);

        /** Copies the current layer's {@code block} into {@code snapshotId}'s own layer. */
        void copyOut(long block, String snapshotId);
    }
}
