package io.amiforge.store;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Appends many blocks to a {@link Layer} that no reader sees yet (flatten, import), in large
 * batches: the caller fills {@link #next()} with one block and calls {@link #add}; data goes out
 * in 1 MiB writes, then the entries that point at it. Journal thread only.
 */
final class LayerBulk implements AutoCloseable {

    private static final int BATCH = 1 << 20;

    private final Layer layer;
    private final int blockSize;
    private final MemorySegment buffer;
    private final ByteBuffer entries;
    private final int capacity;
    private long firstSlot = -1;
    private int count;

    LayerBulk(Layer layer) {
        this.layer = layer;
        this.blockSize = layer.blockSize;
        this.buffer = Arena.ofAuto().allocate(Math.max(BATCH, blockSize), 4096);
        this.entries = ByteBuffer.allocateDirect(Math.max(BATCH, blockSize) / blockSize * IndexEntry.SIZE)
                .order(ByteOrder.LITTLE_ENDIAN);
        this.capacity = (int) (buffer.byteSize() / blockSize);
    }

    /** Where the caller puts the next block's data. */
    MemorySegment next() {
        return buffer.asSlice((long) count * blockSize, blockSize);
    }

    /** Records the block just put in {@link #next()}, with its CRC32C. */
    void add(long block, int crc, int gen) {
        ByteBuffer e = entries.slice(count * IndexEntry.SIZE, IndexEntry.SIZE).order(ByteOrder.LITTLE_ENDIAN);
        long slot = layer.bulkSlot(block, crc, gen, e);
        if (count == 0) {
            firstSlot = slot;
        }
        count++;
        if (count == capacity) {
            flush();
        }
    }

    private void flush() {
        if (count == 0) {
            return;
        }
        entries.clear().limit(count * IndexEntry.SIZE);
        layer.bulkWrite(buffer.asSlice(0, (long) count * blockSize).asByteBuffer(), firstSlot, entries, count);
        entries.clear();
        count = 0;
    }

    @Override
    public void close() {
        flush();
    }
}
