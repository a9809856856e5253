package io.amiforge.store.remote;

/**
 * Settings of a {@link RemoteSnapshotStore} handle.
 *
 * @param cacheBytes       the most local disk the read cache takes (at least one chunk)
 * @param chunkSize        bytes fetched per cache miss (a power of two, 64 KiB to 64 MiB)
 * @param checkpointEvery  a full catalogue checkpoint is written every this many commits
 */
public record RemoteOptions(long cacheBytes, int chunkSize, int checkpointEvery) {

    /** 1 GiB of cache in 1 MiB chunks, a checkpoint every 64 commits. */
    public static RemoteOptions defaults() {
        return new RemoteOptions(1L << 30, 1 << 20, 64);
    }

    /** These options with a cache of {@code bytes}. */
    public RemoteOptions withCacheBytes(long bytes) {
        return new RemoteOptions(bytes, chunkSize, checkpointEvery);
    }
}
