package io.amiforge.store;

/**
 * The result of {@link SnapshotStore#pack}: how many snapshot layers went into the new pack
 * file (0: nothing to pack), the blocks of data it holds and its size in bytes.
 */
public record PackReport(int layers, long blocks, long bytes) {
}
