package io.amiforge.store;

import io.amiforge.store.spi.Strategies;

/**
 * How a volume is created: block size (a power of two from 512 B to 512 KiB, default 4 KiB),
 * write strategy and read index, each by the name a provider registered with
 * {@link Strategies} (built-in: write {@code row} redirect-on-write, the default, or {@code cow}
 * copy-on-write; read {@code flat}, the default, one lookup at any depth, or {@code walk}). The
 * volume keeps the names; opening it later needs providers of those names. Immutable.
 */
public record VolumeOptions(int blockSize, String writeStrategy, String readIndex) {

    public static final int MIN_BLOCK_SIZE = 512;
    public static final int MAX_BLOCK_SIZE = 512 * 1024;
    public static final String DEFAULT_WRITE_STRATEGY = "row";
    public static final String DEFAULT_READ_INDEX = "flat";

    /** Checks the block size and that both strategies are registered (an unknown name lists the known ones). */
    public VolumeOptions {
        if (blockSize < MIN_BLOCK_SIZE || blockSize > MAX_BLOCK_SIZE || Integer.bitCount(blockSize) != 1) {
            throw StoreException.invalid("block size " + blockSize + " is not a power of two from 512 to 524288");
        }
        Strategies.writeStrategy(writeStrategy);
        Strategies.readIndex(readIndex);
    }

    public static VolumeOptions defaults() {
        return new VolumeOptions(4096, DEFAULT_WRITE_STRATEGY, DEFAULT_READ_INDEX);
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
