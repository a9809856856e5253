package io.amiforge.store;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Appends many blocks to a {@link Layer} that no reader sees yet (flatten, import), in large
 * batches: the caller fills {@link #next()} with one block and calls {@link #add}, or fills
 * {@link #room} with several consecutive blocks and calls {@link #addRoom}; explicit zero
 * blocks are recorded with {@link #addZero}. Data goes out in 4 MiB writes, then the entries
 * that point at it. Two buffer sets take turns: while a writer thread writes one batch out, the
 * caller fills the other (reading the source overlaps writing the layer); at most one batch is
 * in flight, and {@link #close} waits for it and rethrows its failure. Journal thread only.
 */
final class LayerBulk implements AutoCloseable {

    private static final int BATCH = 4 << 20;

    private final Layer layer;
    private final int blockSize;
    private final MemorySegment[] buffers = new MemorySegment[2];
    private final ByteBuffer[] entryBuffers = new ByteBuffer[2];
    private final MemorySegment zeros;
    private final ExecutorService writer;
    /** The batch being written out, or null. */
    private Future<?> inFlight;
    private int turn;
    private MemorySegment buffer;
    private ByteBuffer entries;
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
        long batch = Math.max(BATCH, blockSize);
        this.capacity = (int) (batch / blockSize);
        this.entryCapacity = 2 * capacity;
        for (int i = 0; i < 2; i++) {
            buffers[i] = arena.allocate(batch, 4096);
            entryBuffers[i] = ByteBuffer.allocateDirect(entryCapacity * IndexEntry.SIZE).order(ByteOrder.LITTLE_ENDIAN);
        }
        this.buffer = buffers[0];
        this.entries = entryBuffers[0];
        this.zeros = arena.allocate(blockSize, 4096);
        this.writer = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon().name("amiforge-bulk " + layer.id)
                .unstarted(r));
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

    /** Hands the filled batch to the writer thread (after the previous one is out) and switches buffers. */
    private void flush() {
        if (entryCount == 0) {
            return;
        }
        awaitInFlight();
        ByteBuffer data = buffer.asSlice(0, (long) count * blockSize).asByteBuffer();
        ByteBuffer written = entries.duplicate().clear().limit(entryCount * IndexEntry.SIZE); // the buffer keeps its limit
        long slot = firstSlot;
        int n = entryCount;
        inFlight = writer.submit(() -> layer.bulkWrite(data, slot, written, n));
        turn ^= 1;
        buffer = buffers[turn];
        entries = entryBuffers[turn];
        count = 0;
        entryCount = 0;
    }

    private void awaitInFlight() {
        Future<?> pending = inFlight;
        if (pending == null) {
            return;
        }
        inFlight = null;
        try {
            pending.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException("bulk write of layer " + layer.id + " failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing layer " + layer.id, e);
        }
    }

    /** Writes out what is left and waits for it; a failed batch write is rethrown here at the latest. */
    @Override
    public void close() {
        try {
            flush();
            awaitInFlight();
        } finally {
            writer.shutdownNow();
        }
    }
}
