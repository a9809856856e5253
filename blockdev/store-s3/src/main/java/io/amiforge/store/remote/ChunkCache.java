package io.amiforge.store.remote;

import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.store.objects.ObjectStore;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * A bounded read cache of object ranges on local disk: an LRU of fixed-size chunks (aligned
 * ranges of one object) in one sparse file of {@code slots * chunkSize} bytes, mapped once (a hit
 * is a copy from the mapping), so the disk it takes never exceeds its size. A miss fetches the whole chunk with one ranged read; concurrent readers of a
 * chunk being fetched wait for that one fetch. A chunk being read is pinned and never evicted
 * under its reader; when every slot is pinned a read goes straight to the object store.
 *
 * <p>The cache keeps no checksums itself: its readers check each block's CRC32C and
 * {@link #invalidate} a chunk that fails. The cache file is this process's alone (an OS lock
 * refuses a second user) and starts empty. Thread-safe.
 */
final class ChunkCache implements AutoCloseable {

    private static final long EMPTY = -1;

    private final ObjectStore objects;
    private final int chunkSize;
    private final int chunkShift;
    private final int slots;
    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private final ThreadLocal<ByteBuffer> fetchBuffer;
    /** The whole cache file mapped read-only (a hit is a memcpy), or null where mapping failed (reads use pread). */
    private final MemorySegment mapped;
    private final Arena mapArena;

    // per slot: the chunk key it holds (EMPTY if none), readers pinning it, whether it is being fetched, LRU links
    private final long[] slotKey;
    private final int[] pins;
    private final boolean[] loading;
    private final int[] prev;
    private final int[] next;
    private int head = -1;
    private int tail = -1;
    /** Slots never used yet are {@code fresh..slots-1}; forgotten, unpinned slots are on the free stack. */
    private int fresh;
    private final int[] free;
    private int freeCount;
    // open addressing: chunk key to slot
    private final long[] tableKey;
    private final int[] tableSlot;
    private final int mask;

    private long hits;
    private long misses;
    private long bypassed;
    private long evictions;
    private long fetchedBytes;

    /**
     * A cache of at most {@code maxBytes} (at least one chunk) in {@code dir}, fetching from {@code objects}
     * in chunks of {@code chunkSize} bytes (a power of two, 64 KiB to 64 MiB).
     */
    ChunkCache(ObjectStore objects, Path dir, long maxBytes, int chunkSize) {
        if (chunkSize < (64 << 10) || chunkSize > (64 << 20) || Integer.bitCount(chunkSize) != 1) {
            throw new IllegalArgumentException("cache chunk size " + chunkSize + " is not a power of two from 64 KiB to 64 MiB");
        }
        if (maxBytes < chunkSize) {
            throw new IllegalArgumentException("cache size " + maxBytes + " is smaller than one chunk (" + chunkSize + " bytes)");
        }
        this.objects = objects;
        this.chunkSize = chunkSize;
        this.chunkShift = Integer.numberOfTrailingZeros(chunkSize);
        this.slots = (int) Math.min(maxBytes / chunkSize, 1 << 24);
        this.slotKey = new long[slots];
        Arrays.fill(slotKey, EMPTY);
        this.pins = new int[slots];
        this.loading = new boolean[slots];
        this.prev = new int[slots];
        this.next = new int[slots];
        this.free = new int[slots];
        Arrays.fill(prev, -1);
        Arrays.fill(next, -1);
        int tableSize = Integer.highestOneBit(slots * 2 + 1) << 1;
        this.tableKey = new long[tableSize];
        Arrays.fill(tableKey, EMPTY);
        this.tableSlot = new int[tableSize];
        this.mask = tableSize - 1;
        this.fetchBuffer = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(chunkSize));
        this.file = dir.resolve("chunks.dat");
        try {
            Files.createDirectories(dir);
            this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock l;
            try {
                l = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null;
            }
            if (l == null) {
                channel.close();
                throw new IllegalStateException("cache " + file + " is in use by another store handle; give each its own cache directory");
            }
            this.lock = l;
            channel.truncate(0); // starts empty: nothing in it is trusted across runs
            channel.write(ByteBuffer.allocate(1), capacity() - 1); // sparse: disk is taken only by chunks written
        } catch (IOException e) {
            throw new BlockDeviceException.Io(file.toString(), "open of the read cache", e);
        }
        Arena arena = Arena.ofShared();
        MemorySegment map;
        try {
            map = channel.map(FileChannel.MapMode.READ_ONLY, 0, capacity(), arena);
        } catch (IOException | UnsupportedOperationException e) {
            arena.close();
            arena = null;
            map = null;
        }
        this.mapArena = arena;
        this.mapped = map;
    }

    int chunkSize() {
        return chunkSize;
    }

    /** The most bytes the cache file can hold. */
    long capacity() {
        return (long) slots * chunkSize;
    }

    /** Bytes of chunks the cache holds now (never more than {@link #capacity}; the file is sparse). */
    synchronized long bytesHeld() {
        return (long) (fresh - freeCount) * chunkSize;
    }

    /** Counters: hits, misses, reads that bypassed a full cache, evictions, bytes fetched. */
    synchronized long[] stats() {
        return new long[] {hits, misses, bypassed, evictions, fetchedBytes};
    }

    /**
     * Reads {@code dst.byteSize()} bytes at {@code offset} of object {@code key} (registered as
     * {@code objectId}, {@code objectSize} bytes long); the range lies inside one chunk.
     */
    void read(int objectId, String key, long objectSize, long offset, MemorySegment dst) {
        long chunk = offset >>> chunkShift;
        long chunkStart = chunk << chunkShift;
        assert offset + dst.byteSize() <= chunkStart + chunkSize : "a read crosses a chunk";
        long k = ((long) objectId << 40) | chunk;
        int slot;
        boolean fetch = false;
        synchronized (this) {
            while (true) {
                slot = find(k);
                if (slot >= 0 && loading[slot]) {
                    waitForFetch();
                    continue;
                }
                if (slot >= 0) {
                    unlink(slot);
                    pushFront(slot);
                    hits++;
                    if (mapped != null) {
                        // a hit is one copy from the mapping under the lock: no pin, no second lock
                        MemorySegment.copy(mapped, ((long) slot << chunkShift) + (offset - chunkStart), dst, 0, dst.byteSize());
                        return;
                    }
                    pins[slot]++;
                    break;
                }
                slot = victim();
                if (slot < 0) {
                    bypassed++;
                    break;
                }
                if (slotKey[slot] != EMPTY) {
                    remove(slotKey[slot]);
                    evictions++;
                }
                slotKey[slot] = k;
                insert(k, slot);
                loading[slot] = true;
                pins[slot] = 1;
                unlink(slot);
                pushFront(slot);
                misses++;
                fetch = true;
                break;
            }
        }
        if (slot < 0) {
            objects.read(key, offset, dst.asByteBuffer());
            return;
        }
        try {
            if (fetch) {
                fill(slot, key, chunkStart, Math.min(chunkSize, objectSize - chunkStart));
            }
            long at = ((long) slot << chunkShift) + (offset - chunkStart);
            if (mapped != null) {
                MemorySegment.copy(mapped, at, dst, 0, dst.byteSize()); // the slot is pinned: nobody refills it meanwhile
                release(slot, false);
                return;
            }
            ByteBuffer to = dst.asByteBuffer();
            while (to.hasRemaining()) {
                int n = channel.read(to, at + to.position());
                if (n < 0) {
                    throw new IOException("cache file ends at byte " + (at + to.position()));
                }
            }
        } catch (IOException e) {
            release(slot, true);
            throw new BlockDeviceException.Io(file.toString(), "read of cached " + key + " at " + offset, e);
        } catch (RuntimeException | Error e) {
            release(slot, true);
            throw e;
        }
        release(slot, false);
    }

    private void fill(int slot, String key, long chunkStart, long length) throws IOException {
        ByteBuffer buf = fetchBuffer.get().clear().limit((int) length);
        objects.read(key, chunkStart, buf);
        buf.flip();
        long at = (long) slot << chunkShift;
        while (buf.hasRemaining()) {
            channel.write(buf, at + buf.position());
        }
        synchronized (this) {
            loading[slot] = false;
            fetchedBytes += length;
            notifyAll();
        }
    }

    /** Unpins the slot; with {@code drop}, forgets its chunk (a failed fetch or read). */
    private synchronized void release(int slot, boolean drop) {
        pins[slot]--;
        if (drop && slotKey[slot] != EMPTY) {
            forget(slot);
        } else if (pins[slot] == 0 && slotKey[slot] == EMPTY) {
            free[freeCount++] = slot; // forgotten while pinned: free now that its last reader is done
        }
    }

    /** Forgets the chunk holding {@code offset} of the object, so the next read fetches it again. */
    synchronized void invalidate(int objectId, long offset) {
        int slot = find(((long) objectId << 40) | (offset >>> chunkShift));
        if (slot >= 0 && !loading[slot]) {
            forget(slot);
        }
    }

    private void forget(int slot) {
        remove(slotKey[slot]);
        slotKey[slot] = EMPTY;
        loading[slot] = false;
        unlink(slot);
        if (pins[slot] == 0) {
            free[freeCount++] = slot;
        }
        notifyAll();
    }

    private void waitForFetch() {
        try {
            wait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BlockDeviceException("read cache: interrupted while waiting for a chunk");
        }
    }

    /** A free slot, or the least recently used unpinned one, or -1. Holds the lock. */
    private int victim() {
        if (freeCount > 0) {
            return free[--freeCount];
        }
        if (fresh < slots) {
            return fresh++;
        }
        for (int s = tail; s >= 0; s = prev[s]) {
            if (pins[s] == 0 && !loading[s]) {
                return s;
            }
        }
        return -1;
    }

    // ---- LRU list: most recent at head ----

    private void pushFront(int s) {
        prev[s] = -1;
        next[s] = head;
        if (head >= 0) {
            prev[head] = s;
        }
        head = s;
        if (tail < 0) {
            tail = s;
        }
    }

    private void unlink(int s) {
        int p = prev[s];
        int n = next[s];
        boolean linked = p >= 0 || n >= 0 || head == s;
        if (!linked) {
            return;
        }
        if (p >= 0) {
            next[p] = n;
        } else {
            head = n;
        }
        if (n >= 0) {
            prev[n] = p;
        } else {
            tail = p;
        }
        prev[s] = -1;
        next[s] = -1;
    }

    // ---- chunk key to slot, open addressing with linear probing ----

    private int hash(long k) {
        long h = k * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }

    private int find(long k) {
        for (int i = hash(k);; i = (i + 1) & mask) {
            long t = tableKey[i];
            if (t == k) {
                return tableSlot[i];
            }
            if (t == EMPTY) {
                return -1;
            }
        }
    }

    private void insert(long k, int slot) {
        int i = hash(k);
        while (tableKey[i] != EMPTY) {
            i = (i + 1) & mask;
        }
        tableKey[i] = k;
        tableSlot[i] = slot;
    }

    private void remove(long k) {
        int i = hash(k);
        while (tableKey[i] != k) {
            if (tableKey[i] == EMPTY) {
                return;
            }
            i = (i + 1) & mask;
        }
        // backward-shift deletion keeps every probe chain unbroken
        int gap = i;
        for (int j = (gap + 1) & mask; tableKey[j] != EMPTY; j = (j + 1) & mask) {
            int home = hash(tableKey[j]);
            boolean movable = gap <= j ? (home <= gap || home > j) : (home <= gap && home > j);
            if (movable) {
                tableKey[gap] = tableKey[j];
                tableSlot[gap] = tableSlot[j];
                gap = j;
            }
        }
        tableKey[gap] = EMPTY;
    }

    @Override
    public synchronized void close() {
        if (mapArena != null) {
            mapArena.close();
        }
        try {
            lock.release();
            channel.close();
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new BlockDeviceException.Io(file.toString(), "close of the read cache", e);
        }
    }
}
