package io.amiforge.store;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Appends many blocks to a {@link Layer} that no reader sees yet (flatten, import), in large
 * batches: the caller fills {@link #next()} with one block and calls {@link #add}, or fills
 * {@link #room} with several consecutive blocks and calls {@link #addRoom}; explicit zero
 * blocks are recorded with {@link #addZero}. Data goes out in 1 MiB writes, then the entries
 * that point at it. Journal thread only.
 */
final class LayerBulk implements AutoCloseable {

    private static final int BATCH = 1 << 20;

    private final Layer layer;
    private final int blockSize;
    private final MemorySegment buffer;
    private final MemorySegment zeros;
    private final ByteBuffer entries;
    private final int capacity;
    /** Entries the buffer holds at most: data entries plus as many explicit zeros. */
    private final int entryCapacity;
    private long firstSlot = -1;
    private int count;
    private int entryCount;

    LayerBulk(Layer layer) {
        this.layer = layer;
        this.blockSize = layer.blockSize;
        Arena arena = Arena.ofAuto();
        this.buffer = arena.allocate(Math.max(BATCH, blockSize), 4096);
        this.zeros = arena.allocate(blockSize, 4096);
        this.capacity = (int) (buffer.byteSize() / blockSize);
        this.entryCapacity = 2 * capacity;
        this.entries = ByteBuffer.allocateDirect(entryCapacity * IndexEntry.SIZE).order(ByteOrder.LITTLE_ENDIAN);
    }

    int blockSize() {
        return blockSize;
    }

    /** Where the caller puts the next block's data. */
    MemorySegment next() {
        return buffer.asSlice((long) count * blockSize, blockSize);
    }

    /** Records the block just put in {@link #next()}, with its CRC32C. */
    void add(long block, int crc, int gen) {
        long slot = layer.bulkSlot(block, crc, gen, entry());
        if (count == 0) {
            firstSlot = slot;
        }
        count++;
        if (count == capacity || entryCount == entryCapacity) {
            flush();
        }
    }

    /**
     * Room for the data of up to {@code blocks} consecutive blocks (at least one block): fill
     * it, then call {@link #addRoom} before anything else.
     */
    MemorySegment room(long blocks) {
        if (count == capacity || entryCount + capacity > entryCapacity) {
            flush();
        }
        long n = Math.min(blocks, capacity - count);
        return buffer.asSlice((long) count * blockSize, n * blockSize);
    }

    /**
     * Records the blocks from {@code firstBlock} whose data the caller just put in {@link #room}
     * ({@code filled.byteSize()} bytes, whole blocks). A block that is all zeros stores no data:
     * it becomes an explicit zero with {@code keepZeros} (it must shadow a parent) and is left
     * out without. Returns the number of blocks that stored data.
     */
    int addRoom(long firstBlock, MemorySegment filled, boolean keepZeros) {
        int n = (int) (filled.byteSize() / blockSize);
        int start = count;
        int stored = 0;
        for (int i = 0; i < n; i++) {
            MemorySegment block = buffer.asSlice((long) (start + i) * blockSize, blockSize);
            if (MemorySegment.mismatch(block, 0, blockSize, zeros, 0, blockSize) == -1) {
                if (keepZeros) {
                    layer.bulkZero(firstBlock + i, 0, entry());
                }
                continue;
            }
            if (count != start + i) { // an earlier block was left out: close the gap
                MemorySegment.copy(block, 0, buffer, (long) count * blockSize, blockSize);
            }
            long slot = layer.bulkSlot(firstBlock + i, Layer.crc(next()), 0, entry());
            if (count == 0) {
                firstSlot = slot;
            }
            count++;
            stored++;
        }
        return stored;
    }

    /** Records {@code n} explicit zero blocks from {@code firstBlock} (they store no data). */
    void addZero(long firstBlock, long n) {
        for (long i = 0; i < n; i++) {
            if (entryCount == entryCapacity) {
                flush();
            }
            layer.bulkZero(firstBlock + i, 0, entry());
        }
    }

    /** The next entry's 32 bytes in the entry buffer. */
    private ByteBuffer entry() {
        ByteBuffer e = entries.slice(entryCount * IndexEntry.SIZE, IndexEntry.SIZE).order(ByteOrder.LITTLE_ENDIAN);
        entryCount++;
        return e;
    }

    private void flush() {
        if (entryCount == 0) {
            return;
        }
        entries.clear().limit(entryCount * IndexEntry.SIZE);
        layer.bulkWrite(buffer.asSlice(0, (long) count * blockSize).asByteBuffer(), firstSlot, entries, entryCount);
        entries.clear();
        count = 0;
        entryCount = 0;
    }

    @Override
    public void close() {
        flush();
    }
}
