package io.amiforge.store;

/**
 * What automatic packing did in one store since it was opened ({@link SnapshotStore#autoPackStats}).
 *
 * @param packs        packs committed
 * @param layers       snapshot layers they replaced (a layer merged again counts again)
 * @param bytesCopied  block data they copied
 * @param choices      times a chain was looked at for a pack (a choice may find nothing to do)
 * @param chooseNanos  time those choices held the store's journal thread
 * @param commitNanos  time the packs' commits held it
 */
public record PackStats(long packs, long layers, long bytesCopied, long choices, long chooseNanos, long commitNanos) {

    /** Time the choose and commit steps held the journal thread: what other store calls may have waited for. */
    public long journalNanos() {
        return chooseNanos + commitNanos;
    }
}
