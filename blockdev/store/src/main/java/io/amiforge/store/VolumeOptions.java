package io.amiforge.store;

import java.util.List;

/**
 * How a volume is created: block size (a power of two from 512 B to 512 KiB, default 4 KiB),
 * write strategy ({@code row} redirect-on-write, the default, or {@code cow} copy-on-write) and
 * read index ({@code flat}, the default, O(1) at any depth, or {@code walk}). Immutable.
 */
public record VolumeOptions(int blockSize, String writeStrategy, String readIndex) {

    public static final int MIN_BLOCK_SIZE = 512;
    public static final int MAX_BLOCK_SIZE = 512 * 1024;
    public static final List<String> WRITE_STRATEGIES = List.of("row", "cow");
    public static final List<String> READ_INDEXES = List.of("walk", "flat");

    public VolumeOptions {
        if (blockSize < MIN_BLOCK_SIZE || blockSize > MAX_BLOCK_SIZE || Integer.bitCount(blockSize) != 1) {
            throw StoreException.invalid("block size " + blockSize + " is not a power of two from 512 to 524288");
        }
        if (!WRITE_STRATEGIES.contains(writeStrategy)) {
            throw StoreException.invalid("write strategy '" + writeStrategy + "' is not one of " + WRITE_STRATEGIES);
        }
        if (!READ_INDEXES.contains(readIndex)) {
            throw StoreException.invalid("read index '" + readIndex + "' is not one of " + READ_INDEXES);
        }
    }

    public static VolumeOptions defaults() {
        return new VolumeOptions(4096, "row", "flat");
    }

    public VolumeOptions blockSize(int size) {
        return new VolumeOptions(size, writeStrategy, readIndex);
    }

    public VolumeOptions writeStrategy(String strategy) {
        return new VolumeOptions(blockSize, strategy, readIndex);
    }

    public VolumeOptions readIndex(String index) {
        return new VolumeOptions(blockSize, writeStrategy, index);
    }
}
