package io.amiforge.store;

/**
 * What automatic packing did in one store since it was opened ({@link SnapshotStore#autoPackStats}).
 *
 * @param packs         packs committed
 * @param layers        snapshot layers they replaced (a layer merged again counts again)
 * @param bytesCopied   block data they copied
 * @param journalNanos  time their choose and commit steps held the store's journal thread
 */
public record PackStats(long packs, long layers, long bytesCopied, long journalNanos) {
}
