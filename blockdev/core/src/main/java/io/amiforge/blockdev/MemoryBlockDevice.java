package io.amiforge.blockdev;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A sparse in-memory device: memory is allocated in 64 KiB chunks on first write, so a
 * 1 TiB device that is mostly empty costs little. Writes are visible at once and lost with
 * the process; {@link #flush()} does nothing. Its allocation status comes from the chunk map:
 * a chunk never written (or wholly discarded) is {@link Extent.Kind#ZERO}, any other chunk
 * {@link Extent.Kind#DATA}, without reading either.
 */
public final class MemoryBlockDevice extends AbstractBlockDevice implements AllocationStatus {

    private static final int CHUNK_SHIFT = 16;
    private static final int CHUNK = 1 << CHUNK_SHIFT;

    private final AtomicReferenceArray<MemorySegment> chunks;
    private final Arena arena = Arena.ofShared();

    public MemoryBlockDevice(String name, long size) {
        this(name, size, 512);
    }

    public MemoryBlockDevice(String name, long size, int blockSize) {
        super(name, size, blockSize, false);
        long count = (size + CHUNK - 1) >>> CHUNK_SHIFT;
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(name + ": size " + size + " is too large for a memory device");
        }
        chunks = new AtomicReferenceArray<>((int) count);
    }

    @Override
    protected void doRead(long offset, MemorySegment dst) {
        long done = 0;
        long length = dst.byteSize();
        while (done < length) {
            long pos = offset + done;
            int index = (int) (pos >>> CHUNK_SHIFT);
            int within = (int) (pos & (CHUNK - 1));
            long n = Math.min(CHUNK - within, length - done);
            MemorySegment chunk = chunks.get(index);
            if (chunk == null) {
                dst.asSlice(done, n).fill((byte) 0);
            } else {
                MemorySegment.copy(chunk, within, dst, done, n);
            }
            done += n;
        }
    }

    @Override
    protected void doWrite(long offset, MemorySegment src) {
        long done = 0;
        long length = src.byteSize();
        while (done < length) {
            long pos = offset + done;
            int index = (int) (pos >>> CHUNK_SHIFT);
            int within = (int) (pos & (CHUNK - 1));
            long n = Math.min(CHUNK - within, length - done);
            MemorySegment.copy(src, done, chunk(index), within, n);
            done += n;
        }
    }

    private MemorySegment chunk(int index) {
        MemorySegment chunk = chunks.get(index);
        if (chunk == null) {
            MemorySegment fresh = arena.allocate(CHUNK, 64);
            chunk = chunks.compareAndExchange(index, null, fresh);
            if (chunk == null) {
                chunk = fresh;
            }
        }
        return chunk;
    }

    @Override
    protected void doFlush() {
    }

    @Override
    protected void doDiscard(long offset, long length) {
        long done = 0;
        while (done < length) {
            long pos = offset + done;
            int index = (int) (pos >>> CHUNK_SHIFT);
            int within = (int) (pos & (CHUNK - 1));
            long n = Math.min(CHUNK - within, length - done);
            if (within == 0 && n == CHUNK) {
                chunks.set(index, null); // the chunk's memory is freed with the arena
            } else {
                MemorySegment chunk = chunks.get(index);
                if (chunk != null) {
                    chunk.asSlice(within, n).fill((byte) 0);
                }
            }
            done += n;
        }
    }

    @Override
    public Extent extentAt(long offset, long maxLength) {
        checkExtentQuery(offset, maxLength);
        long end = offset + maxLength;
        boolean data = chunks.get((int) (offset >>> CHUNK_SHIFT)) != null;
        long next = ((offset >>> CHUNK_SHIFT) + 1) << CHUNK_SHIFT; // start of the following chunk
        while (next < end && (chunks.get((int) (next >>> CHUNK_SHIFT)) != null) == data) {
            next += CHUNK;
        }
        return new Extent(offset, Math.min(next, end) - offset, data ? Extent.Kind.DATA : Extent.Kind.ZERO);
    }

    @Override
    public Durability durability() {
        return Durability.NONE_UNTIL_FLUSH;
    }

    @Override
    protected void doClose() {
        arena.close();
    }
}
