package io.amiforge.store.strategy;

/**
 * How a volume's writes and snapshots relate. {@link RowWrite} (redirect-on-write): a
 * snapshot freezes the volume's top layer and new writes go to a fresh one. {@link CowWrite}
 * (copy-on-write): the volume's current layer is updated in place and never frozen; a snapshot
 * only opens a new generation, and the first overwrite of a block a snapshot still needs copies
 * its old contents into that snapshot. Neither does per-block work when a snapshot is taken.
 */
public interface WriteStrategy {

    /** The name used in volume options ("row", "cow"). */
    String name();

    /** Whether a snapshot freezes the current layer (true) or keeps updating it in place (false). */
    boolean freezesOnSnapshot();

    /** Called on the journal thread before {@code block} of the volume's current layer is replaced. */
    void beforeOverwrite(CopyOutContext context, long block);

    /** What a write strategy may do before an overwrite. */
    interface CopyOutContext {

        /** The snapshot whose contents still live in the current layer at {@code block}, or null. */
        String ownerSnapshot(long block);

        /** Copies the current layer's {@code block} into {@code snapshotId}'s own layer. */
        void copyOut(long block, String snapshotId);
    }
}
