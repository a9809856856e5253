package io.amiforge.blockdev;

/**
 * Decides when a file written through the page cache should start writing back: the file is cut
 * into chunks of {@value #CHUNK_BYTES} bytes, and a chunk is handed to the disk
 * (for a file, {@link NativeFile#startWriteBack}) as soon as as many bytes as it holds have been written
 * into it. A stream of writes (a copy, an import, a guest's sequential writes) thus keeps the
 * disk busy while it goes on, in any order and from any number of writers, and the flush that
 * ends it waits only for the last chunks; with nothing started early, the page cache holds
 * everything up to the flush (the kernel's own write-back starts at 10% of memory), and the
 * flush then writes it all at disk speed while the writer waits.
 *
 * <p>Scattered small writes rarely fill a chunk, so they are left to the kernel. Only the
 * {@value #SLOTS} chunks written most recently are counted (a chunk whose slot is taken by
 * another starts counting again), which bounds the memory at a few hundred bytes whatever the
 * file's size. The counts are bytes written, not distinct bytes, so rewriting part of a chunk
 * may start its write-back early: a harmless hint, since durability still comes from the
 * flush. Safe for concurrent use; allocates nothing.
 */
final class WriteBackTrigger {

    /** Bytes per chunk: big enough for the disk to write efficiently, small enough to start soon. */
    static final int CHUNK_BYTES = 4 << 20;
    private static final int CHUNK_SHIFT = Integer.numberOfTrailingZeros(CHUNK_BYTES);
    static final int SLOTS = 64;

    /** Where filled chunks go: starts the write-back of a byte range without waiting for it. */
    @FunctionalInterface
    interface Starter {
        /** Starts writing back {@code [offset, offset + length)}. */
        void start(long offset, long length);
    }

    private final Starter starter;
    /** Per slot, the chunk it counts plus one (0: none). */
    private final long[] chunks = new long[SLOTS];
    /** Per slot, the bytes written into its chunk since it began counting. */
    private final long[] written = new long[SLOTS];

    WriteBackTrigger(Starter starter) {
        this.starter = starter;
    }

    /** Counts a write of {@code length} bytes at {@code offset} and starts the write-back of the chunks it filled. */
    void wrote(long offset, long length) {
        long filled = count(offset, length);
        if (filled >= 0) {
            long first = filled >>> 32;
            long last = filled & 0xFFFF_FFFFL;
            starter.start(first << CHUNK_SHIFT, (last - first + 1) << CHUNK_SHIFT);
        }
    }

    /**
     * Adds the write to its chunks' counts; the first and last chunk it filled packed as
     * {@code first << 32 | last} (both below 2^32: files up to 16 PiB), or -1 when it filled none.
     */
    private synchronized long count(long offset, long length) {
        long first = -1;
        long last = -1;
        long end = offset + length;
        for (long chunk = offset >>> CHUNK_SHIFT; chunk << CHUNK_SHIFT < end; chunk++) {
            long start = Math.max(offset, chunk << CHUNK_SHIFT);
            long stop = Math.min(end, (chunk + 1) << CHUNK_SHIFT);
            int slot = (int) (chunk & (SLOTS - 1));
            if (chunks[slot] != chunk + 1) {
                chunks[slot] = chunk + 1;
                written[slot] = 0;
            }
            written[slot] += stop - start;
            if (written[slot] >= CHUNK_BYTES) {
                chunks[slot] = 0; // counted again from nothing if written again
                if (first < 0) {
                    first = chunk;
                }
                last = chunk;
            }
        }
        return first < 0 || last > 0xFFFF_FFFFL ? -1 : first << 32 | last;
    }
}
