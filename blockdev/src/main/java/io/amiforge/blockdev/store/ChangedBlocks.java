package io.amiforge.blockdev.store;
/** TEMPORARY STUB. */
public record ChangedBlocks(int blockSize, long[] blocks) { }
