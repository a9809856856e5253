package io.amiforge.imagefmt.qcow2;

import io.amiforge.imagefmt.format.ImageFormatException;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The L1 table and a bounded cache of L2 tables of one qcow2 file, with the set of tables
 * changed since the last flush. Lookups take no lock (the cache is a concurrent map, the L1
 * table an atomic array); loading a table takes the image's lock only to insert it, and every
 * change ({@link #markDirty}, {@link #install}, {@link #writeDirty}) runs under that lock.
 * Dirty tables stay pinned in the cache until written.
 */
final class L2Tables {

    private static final long CACHE_BYTES = 64L << 20;

    private final Qcow2File file;
    private final long l1TableOffset;
    private final int clusterBits;
    private final int clusterSize;
    private final long clusterMask;
    private final int l2Bits;
    private final int l2Entries;
    private final int maxCachedTables;
    private final AtomicLongArray l1;
    private final ConcurrentHashMap<Long, long[]> cache = new ConcurrentHashMap<>();
    private final ReentrantLock lock;
    // Guarded by lock.
    private final Set<Long> dirty = new HashSet<>();
    private boolean l1Dirty;

    L2Tables(Qcow2File file, Qcow2Header header, ReentrantLock lock) {
        this.file = file;
        this.lock = lock;
        this.l1TableOffset = header.l1TableOffset;
        this.clusterBits = header.clusterBits;
        this.clusterSize = header.clusterSize();
        this.clusterMask = clusterSize - 1;
        this.l2Entries = clusterSize / (header.extendedL2() ? 16 : 8);
        this.l2Bits = Integer.numberOfTrailingZeros(l2Entries);
        this.maxCachedTables = (int) Math.max(16, CACHE_BYTES / clusterSize);
        int l1Size = header.l1Size;
        long[] entries = new long[l1Size];
        if (l1Size > 0) {
            // Bounded: the header check put the table inside the file and under 32 MiB.
            file.readMetadata(l1TableOffset, l1Size * 8, "L1 table").asLongBuffer().get(entries);
        }
        this.l1 = new AtomicLongArray(entries);
    }

    /** log2 of the entries per L2 table: guest cluster {@code c} is in L1 entry {@code c >>> l2Bits()}. */
    int l2Bits() {
        return l2Bits;
    }

    /** Entries per L2 table (a power of two). */
    int l2Entries() {
        return l2Entries;
    }

    int l1Length() {
        return l1.length();
    }

    /** The raw L1 entry {@code index} (caller checked {@code index < l1Length()}). */
    long l1Entry(int index) {
        return l1.get(index);
    }

    /** The L2 table at file offset {@code offset} (from L1 entry {@code l1Index}), loaded and cached on first use. */
    long[] table(int l1Index, long offset) {
        long[] table = cache.get(offset);
        if (table != null) {
            return table;
        }
        checkTableOffset(l1Index, offset);
        table = new long[clusterSize / 8];
        file.readMetadata(offset, clusterSize, "L2 table").asLongBuffer().get(table);
        lock.lock();
        try {
            long[] raced = cache.putIfAbsent(offset, table);
            if (raced != null) {
                return raced;
            }
            if (cache.size() > maxCachedTables) {
                evictOneClean(offset);
            }
        } finally {
            lock.unlock();
        }
        return table;
    }

    private void evictOneClean(long keep) {
        for (Long key : cache.keySet()) {
            if (key != keep && !dirty.contains(key)) {
                cache.remove(key);
                return;
            }
        }
    }

    /** Under the lock: makes the empty table at the new cluster {@code offset} L1 entry {@code l1Index}'s table. */
    long[] install(int l1Index, long offset) {
        long[] table = new long[clusterSize / 8];
        cache.put(offset, table);
        dirty.add(offset);
        l1.set(l1Index, offset | Qcow2Image.COPIED);
        l1Dirty = true;
        return table;
    }

    /** Under the lock: the table at {@code offset} was changed. */
    void markDirty(long offset) {
        dirty.add(offset);
    }

    /** Under the lock: true when more tables are dirty than the cache holds (time for a flush). */
    boolean overCapacity() {
        return dirty.size() > maxCachedTables;
    }

    /** Under the lock: true when some table or the L1 table awaits writing. */
    boolean isDirty() {
        return l1Dirty || !dirty.isEmpty();
    }

    /** Under the lock: writes the dirty L2 tables, then the L1 table if it changed. */
    void writeDirty() {
        for (long offset : dirty) {
            long[] table = cache.get(offset);
            ByteBuffer bytes = ByteBuffer.allocate(clusterSize);
            bytes.asLongBuffer().put(table);
            file.writeMetadata(offset, bytes, "L2 table");
        }
        dirty.clear();
        if (l1Dirty) {
            ByteBuffer bytes = ByteBuffer.allocate(l1.length() * 8);
            for (int i = 0; i < l1.length(); i++) {
                bytes.putLong(i * 8, l1.get(i));
            }
            file.writeMetadata(l1TableOffset, bytes, "L1 table");
            l1Dirty = false;
        }
    }

    /** The guest bytes one L2 table covers, as a shift: L1 entry {@code i} covers {@code [i << coverageBits(), ...)}. */
    int coverageBits() {
        return l2Bits + clusterBits;
    }

    /** Fails unless the L2 table offset {@code offset} of L1 entry {@code l1Index} is a whole cluster inside the file. */
    void checkTableOffset(int l1Index, long offset) {
        if ((offset & clusterMask) != 0 || offset > file.size() - clusterSize) {
            throw badL1(l1Index, offset);
        }
    }

    private ImageFormatException badL1(int index, long offset) {
        String problem = (offset & clusterMask) != 0 ? "is not cluster-aligned"
                : "lies beyond the end of the file (size 0x%x)".formatted(file.size());
        return ImageFormatException.corrupt(file.name(), "L1 entry %d (file offset 0x%x): L2 table offset 0x%x %s"
                .formatted(index, l1TableOffset + index * 8L, offset, problem));
    }
}
