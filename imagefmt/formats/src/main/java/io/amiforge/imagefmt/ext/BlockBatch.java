package io.amiforge.imagefmt.ext;

import io.amiforge.blockdev.BlockDevice;
import java.lang.foreign.MemorySegment;

/**
 * Writes blocks to the device, gathering consecutive ones (up to 1 MiB) into one device write.
 * {@link #flush()} writes what is gathered; call it before anything reads the device.
 */
final class BlockBatch {

    private final BlockDevice dev;
    private final int bs;
    private final byte[] batch;
    private long batchStart = -1;
    private int batchBlocks;

    BlockBatch(BlockDevice dev, int blockSize) {
        this.dev = dev;
        this.bs = blockSize;
        this.batch = new byte[Math.max(blockSize, 1 << 20)];
    }

    /** Writes the block at {@code data[off..off+blockSize)} to block {@code block}. */
    void write(long block, byte[] data, int off) {
        if (batchStart >= 0 && block == batchStart + batchBlocks && (batchBlocks + 1) * bs <= batch.length) {
            System.arraycopy(data, off, batch, batchBlocks * bs, bs);
            batchBlocks++;
            return;
        }
        flush();
        batchStart = block;
        batchBlocks = 1;
        System.arraycopy(data, off, batch, 0, bs);
    }

    void flush() {
        if (batchStart >= 0 && batchBlocks > 0) {
            dev.write(batchStart * bs, MemorySegment.ofArray(batch).asSlice(0, (long) batchBlocks * bs));
        }
        batchStart = -1;
        batchBlocks = 0;
    }
}
