package io.amiforge.imagefmt.qcow2;

import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.format.Zeros;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Guest writes and discards into one writable qcow2 file. A cluster this layer owns outright
 * (refcount 1: the "copied" flag on its L1 and L2 entries) is written in place without a lock;
 * anything else is copy-on-write under the image's lock: a new cluster is allocated, filled
 * with the old content (this layer's data, compressed or zero cluster, or the layers below)
 * around the new bytes, written, and only then published in the L2 table, and the old
 * cluster's reference is dropped. Runs of whole unallocated clusters are allocated
 * contiguously and written in one call.
 *
 * <p>Corruption found while writing (a data cluster that holds metadata, a shared L2 table)
 * marks the image corrupt on disk, as qemu does, and refuses every later write.
 */
final class ClusterWriter {

    /** Extended L2 bitmap: all 32 subclusters allocated (the high half, shifted, all zero). */
    private static final long ALL_ALLOCATED = 0xffff_ffffL;
    /** Granularity at which zeros are left out of a new cluster's data (a file system block). */
    private static final long ZERO_BLOCK = 4096;

    private final Qcow2File file;
    /** Where guest data goes: {@link #file}, or the external data file (then clusters sit at their guest offsets, unrefcounted). */
    private final Qcow2File dataFile;
    private final boolean external;
    private final Qcow2Header header;
    private final ReentrantLock lock;
    private final L2Tables tables;
    private final ClusterLookup lookup;
    private final CompressedClusters compressed;
    private final Qcow2Refcounts refcounts;
    private final MetadataClusters metadata;
    private final HeaderUpdates headerUpdates;
    private final MetadataWriteBack writeBack;
    private final int clusterBits;
    private final int clusterSize;
    private final long clusterMask;
    private final int l2Bits;
    private final int l2Entries;
    private final long virtualSize;
    private final boolean extended;
    private final int subclusterBits;
    private volatile boolean corrupted;
    /** The host cluster compressed clusters are being packed into (0: none yet) and its bytes used; guarded by the lock. */
    private long packCluster;
    private int packUsed;
    /** One cluster for copy-on-write, guarded by the lock. */
    private byte[] cowBuffer;

    ClusterWriter(Qcow2File file, Qcow2File dataFile, Qcow2Header header, ReentrantLock lock, L2Tables tables, ClusterLookup lookup,
                  CompressedClusters compressed, Qcow2Refcounts refcounts, MetadataClusters metadata,
                  HeaderUpdates headerUpdates, MetadataWriteBack writeBack) {
        this.file = file;
        this.dataFile = dataFile;
        this.external = dataFile != file;
        this.header = header;
        this.lock = lock;
        this.tables = tables;
        this.lookup = lookup;
        this.compressed = compressed;
        this.refcounts = refcounts;
        this.metadata = metadata;
        this.headerUpdates = headerUpdates;
        this.writeBack = writeBack;
        this.clusterBits = header.clusterBits;
        this.clusterSize = header.clusterSize();
        this.clusterMask = clusterSize - 1;
        this.l2Bits = tables.l2Bits();
        this.l2Entries = tables.l2Entries();
        this.virtualSize = header.size & ~511L;
        this.extended = header.extendedL2();
        this.subclusterBits = clusterBits - 5;
    }

    /** Index in an L2 table's longs of entry {@code index} (extended entries are two longs: descriptor, bitmap). */
    private int slot(int index) {
        return extended ? index << 1 : index;
    }

    /** Writes {@code src} at guest offset {@code offset} (the caller checked the range). */
    void write(long offset, MemorySegment src, Qcow2Image.Below below) {
        requireNotCorrupted();
        long length = src.byteSize();
        long done = 0;
        while (done < length) {
            long pos = offset + done;
            long inCluster = pos & clusterMask;
            long n = Math.min(length - done, clusterSize - inCluster);
            long host = inPlaceHost(pos, n);
            if (host >= 0) {
                dataFile.write(host + inCluster, src.asSlice(done, n));
                done += n;
                continue;
            }
            lock.lock();
            try {
                done += allocatingWrite(pos, src, done, below);
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Stores {@code length} bytes of compressed data in {@code data} as the compressed cluster at
     * guest offset {@code pos} (cluster-aligned). Compressed clusters are packed one after the
     * other into a host cluster while they fit, each adding one to its refcount; none spans two
     * host clusters.
     */
    void writeCompressed(long pos, byte[] data, int length) {
        requireNotCorrupted();
        lock.lock();
        try {
            long cluster = pos >>> clusterBits;
            int l1Index = (int) (cluster >>> l2Bits);
            long[] table = tableForWrite(l1Index);
            int index = (int) (cluster & (l2Entries - 1));
            long l2Offset = tables.l1Entry(l1Index) & Qcow2Image.OFFSET_MASK;
            long at;
            if (packCluster != 0 && packUsed + length <= clusterSize && Long.compareUnsigned(refcounts.maxValue(), 1) > 0) {
                at = packCluster + packUsed;
                refcounts.add(packCluster, 1);
            } else {
                packCluster = refcounts.allocate(1);
                packUsed = 0;
                at = packCluster;
            }
            packUsed += length;
            file.write(at, java.nio.ByteBuffer.wrap(data, 0, length));
            int slot = slot(index);
            long entry = table[slot];
            table[slot] = compressed.descriptor(at, length);
            if (extended) {
                table[slot + 1] = 0; // compressed clusters have no subclusters: the bitmap is reserved, zero
            }
            tables.markDirty(l2Offset);
            release(entry);
            boundDirtyTables();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The host cluster of {@code pos} when its {@code n} bytes from there may be written in place
     * (refcount 1 and, with subclusters, every subcluster they touch allocated), else -1.
     */
    private long inPlaceHost(long pos, long n) {
        long cluster = pos >>> clusterBits;
        long l1Index = cluster >>> l2Bits;
        long l1Entry = tables.l1Entry((int) l1Index);
        long l2Offset = l1Entry & Qcow2Image.OFFSET_MASK;
        if (l2Offset == 0 || (l1Entry & Qcow2Image.COPIED) == 0) {
            return -1;
        }
        long[] table = tables.table((int) l1Index, l2Offset);
        int slot = slot((int) (cluster & (l2Entries - 1)));
        long entry = table[slot];
        if ((entry & (Qcow2Image.COPIED | Qcow2Image.COMPRESSED | Qcow2Image.ZERO_FLAG)) != Qcow2Image.COPIED) {
            return -1;
        }
        if (extended) {
            long touched = subclusterMask(pos & clusterMask, n);
            long bitmap = table[slot + 1];
            if ((bitmap & touched) != touched || ((bitmap >>> 32) & touched) != 0) {
                return -1;
            }
        }
        long host = entry & Qcow2Image.OFFSET_MASK;
        if (external) {
            return (host & clusterMask) == 0 ? host : -1;
        }
        if (host == 0 || (host & clusterMask) != 0) {
            return -1;
        }
        if (metadata.contains(host)) {
            throw signalCorruption("L2 entry for guest offset 0x%x points at host cluster 0x%x, which holds metadata".formatted(pos, host));
        }
        return host;
    }

    /** Under the lock: writes from {@code src[done..]} at {@code pos}, allocating; returns bytes consumed. */
    private long allocatingWrite(long pos, MemorySegment src, long done, Qcow2Image.Below below) {
        long inCluster = pos & clusterMask;
        long remaining = src.byteSize() - done;
        long host = inPlaceHost(pos, Math.min(remaining, clusterSize - inCluster));
        if (host >= 0) { // another writer allocated it meanwhile
            long n = Math.min(remaining, clusterSize - inCluster);
            dataFile.write(host + inCluster, src.asSlice(done, n));
            return n;
        }
        long cluster = pos >>> clusterBits;
        int l1Index = (int) (cluster >>> l2Bits);
        long[] table = tableForWrite(l1Index);
        int index = (int) (cluster & (l2Entries - 1));
        long l2Offset = tables.l1Entry(l1Index) & Qcow2Image.OFFSET_MASK;
        if (inCluster == 0 && remaining >= clusterSize) {
            // Whole clusters with nothing stored: allocate a contiguous run and write it at once.
            int count = 0;
            while (count < 1024 && index + count < l2Entries && (long) (count + 1) * clusterSize <= remaining
                    && ((table[slot(index + count)] & ~Qcow2Image.ZERO_FLAG) == 0)) {
                count++;
            }
            if (count > 0) {
                long fresh = external ? cluster << clusterBits : refcounts.allocate(count);
                dataFile.write(fresh, src.asSlice(done, (long) count * clusterSize));
                for (int i = 0; i < count; i++) {
                    table[slot(index + i)] = (fresh + ((long) i << clusterBits)) | Qcow2Image.COPIED;
                    if (extended) {
                        table[slot(index + i) + 1] = ALL_ALLOCATED;
                    }
                }
                tables.markDirty(l2Offset);
                boundDirtyTables();
                return (long) count * clusterSize;
            }
        }
        long n = Math.min(remaining, clusterSize - inCluster);
        long clusterStart = cluster << clusterBits;
        long inImage = Math.min(clusterSize, virtualSize - clusterStart);
        if (cowBuffer == null) {
            cowBuffer = new byte[clusterSize];
        }
        MemorySegment buffer = MemorySegment.ofArray(cowBuffer);
        if (extended) {
            subclusterWrite(pos, src.asSlice(done, n), table, index, l2Offset, inImage, buffer, below);
            return n;
        }
        long entry = table[index];
        if (inCluster > 0 || inCluster + n < inImage) {
            fillOld(entry, l2Offset, index, clusterStart, inImage, buffer, inCluster, n, below);
        }
        if (inImage < clusterSize) {
            buffer.asSlice(inImage).fill((byte) 0);
        }
        MemorySegment.copy(src, done, buffer, inCluster, n);
        long fresh = storeWhole(clusterStart, buffer, inImage);
        table[index] = fresh | Qcow2Image.COPIED;
        tables.markDirty(l2Offset);
        release(entry);
        boundDirtyTables();
        return n;
    }

    /**
     * Under the lock: writes {@code data} at {@code pos} into a cluster with extended L2 entries.
     * A cluster this layer owns gets only the subclusters the write touches; an unallocated one
     * gets a new host cluster of which only those subclusters are written (the others keep
     * reading as before: from below, or as zeros), which is the copy-on-write saving of
     * subclusters. A compressed or shared cluster is copied whole into a new cluster.
     */
    private void subclusterWrite(long pos, MemorySegment data, long[] table, int index, long l2Offset, long inImage,
                                 MemorySegment buffer, Qcow2Image.Below below) {
        int slot = slot(index);
        long entry = table[slot];
        long bitmap = table[slot + 1];
        long clusterStart = pos & ~clusterMask;
        long inCluster = pos - clusterStart;
        long n = data.byteSize();
        long host = entry & Qcow2Image.OFFSET_MASK;
        // In an external data file a cluster is at its guest offset (0 for the first one: then only the copied flag is set).
        boolean present = host != 0 || external && (entry & Qcow2Image.COPIED) != 0;
        if ((entry & Qcow2Image.COMPRESSED) != 0 || !external && present && (entry & Qcow2Image.COPIED) == 0) {
            if ((entry & Qcow2Image.COMPRESSED) != 0) {
                compressed.read(entry, 0, buffer.asSlice(0, clusterSize));
            } else {
                fillSubclusters(entry, bitmap, l2Offset, index, clusterStart, 0, inImage, inCluster, inCluster + n, buffer, below);
            }
            if (inImage < clusterSize) {
                buffer.asSlice(inImage).fill((byte) 0);
            }
            MemorySegment.copy(data, 0, buffer, inCluster, n);
            long fresh = storeWhole(clusterStart, buffer, inImage);
            table[slot] = fresh | Qcow2Image.COPIED;
            table[slot + 1] = subclusterMask(0, inImage);
            tables.markDirty(l2Offset);
            release(entry);
            boundDirtyTables();
            return;
        }
        long subSize = 1L << subclusterBits;
        long from = inCluster & -subSize;
        long to = Math.min(inImage, (inCluster + n + subSize - 1) & -subSize);
        fillSubclusters(entry, bitmap, l2Offset, index, clusterStart, from, to, inCluster, inCluster + n, buffer, below);
        MemorySegment.copy(data, 0, buffer, inCluster, n);
        if (!present && !external) {
            host = refcounts.allocate(1);
            table[slot] = host | Qcow2Image.COPIED;
            writeFresh(host + from, buffer.asSlice(from, to - from));
        } else {
            if (!present) {
                // Only the touched subclusters of the data file's cluster are written: the others are not read from it.
                host = clusterStart;
                table[slot] = host | Qcow2Image.COPIED;
            }
            dataFile.write(host + from, buffer.asSlice(from, to - from));
        }
        long touched = subclusterMask(inCluster, n);
        table[slot + 1] = (bitmap | touched) & ~(touched << 32);
        tables.markDirty(l2Offset);
        boundDirtyTables();
    }

    /**
     * Fills {@code buffer[from, to)} (offsets in the cluster) with the cluster's current content
     * subcluster by subcluster, except {@code [skipFrom, skipTo)} which the caller overwrites:
     * allocated subclusters from this file, zero ones with zeros, unallocated ones from below.
     */
    private void fillSubclusters(long entry, long bitmap, long l2Offset, int index, long clusterStart, long from, long to,
                                 long skipFrom, long skipTo, MemorySegment buffer, Qcow2Image.Below below) {
        long subSize = 1L << subclusterBits;
        for (long a = from; a < to; a = (a & -subSize) + subSize) {
            long b = Math.min(to, (a & -subSize) + subSize);
            long code = lookup.classifySub(entry, bitmap, (int) (a >>> subclusterBits), l2Offset, index);
            fillPiece(code, clusterStart, a, Math.min(b, skipFrom), buffer, below);
            fillPiece(code, clusterStart, Math.max(a, skipTo), b, buffer, below);
        }
    }

    private void fillPiece(long code, long clusterStart, long a, long b, MemorySegment buffer, Qcow2Image.Below below) {
        if (a >= b) {
            return;
        }
        MemorySegment part = buffer.asSlice(a, b - a);
        switch ((int) (code & 3)) {
            case Mapping.DATA -> dataFile.read((code & ~3L) + (a & ((1L << subclusterBits) - 1)), part);
            case Mapping.ZERO -> part.fill((byte) 0);
            default -> below.read(clusterStart + a, part);
        }
    }

    /**
     * Stores the first {@code inImage} bytes of {@code buffer} (a whole cluster, zero past the
     * image's end) as the new data of the cluster at guest offset {@code clusterStart}; returns
     * its host offset. In this file it is a newly allocated cluster; in an external data file it
     * is the cluster's guest offset, whose stale bytes are overwritten.
     */
    private long storeWhole(long clusterStart, MemorySegment buffer, long inImage) {
        if (external) {
            dataFile.write(clusterStart, buffer.asSlice(0, inImage));
            return clusterStart;
        }
        long fresh = refcounts.allocate(1);
        writeFresh(fresh, buffer);
        return fresh;
    }

    /**
     * Writes {@code data} into a newly allocated cluster, leaving out its all-zero 4 KiB blocks:
     * new clusters lie past every byte the file held, so what is not written reads as zeros and
     * takes no disk space (the zeros copied from an unallocated backing range, for instance).
     */
    private void writeFresh(long host, MemorySegment bytes) {
        long length = bytes.byteSize();
        long runStart = -1;
        boolean wrote = false;
        for (long at = 0; at < length; at += ZERO_BLOCK) {
            long n = Math.min(ZERO_BLOCK, length - at);
            boolean zero = MemorySegment.mismatch(bytes, at, at + n, Zeros.SEGMENT, 0, n) == -1;
            if (!zero && runStart < 0) {
                runStart = at;
            } else if (zero && runStart >= 0) {
                file.write(host + runStart, bytes.asSlice(runStart, at - runStart));
                runStart = -1;
                wrote = true;
            }
        }
        if (runStart >= 0 || !wrote) {
            // The last run; or, for all zeros, the last block, so that the file covers the cluster before the next flush.
            long from = runStart >= 0 ? runStart : Math.max(0, length - ZERO_BLOCK);
            file.write(host + from, bytes.asSlice(from, length - from));
        }
    }

    /** The allocation-bitmap bits of the subclusters that {@code [inCluster, inCluster+n)} touches. */
    private long subclusterMask(long inCluster, long n) {
        int first = (int) (inCluster >>> subclusterBits);
        int last = (int) ((inCluster + n - 1) >>> subclusterBits);
        return (ALL_ALLOCATED >>> (31 - last)) & (ALL_ALLOCATED << first);
    }

    /** Dirty L2 tables stay pinned in the cache; past the cache's size, write them out (a flush). */
    private void boundDirtyTables() {
        if (tables.overCapacity()) {
            writeBack.flush();
        }
    }

    /** Fills {@code buffer} with the cluster's current content outside {@code [skipFrom, skipFrom+skipLength)}. */
    private void fillOld(long entry, long l2Offset, int index, long clusterStart, long inImage, MemorySegment buffer,
                         long skipFrom, long skipLength, Qcow2Image.Below below) {
        if ((entry & Qcow2Image.COMPRESSED) != 0) {
            compressed.read(entry, 0, buffer.asSlice(0, clusterSize));
            return;
        }
        long code = lookup.classify(entry, l2Offset, index);
        switch ((int) (code & 3)) {
            case Mapping.DATA -> dataFile.read(code & ~3L, buffer.asSlice(0, inImage));
            case Mapping.ZERO -> buffer.fill((byte) 0);
            default -> {
                if (skipFrom > 0) {
                    below.read(clusterStart, buffer.asSlice(0, skipFrom));
                }
                long tail = skipFrom + skipLength;
                if (tail < inImage) {
                    below.read(clusterStart + tail, buffer.asSlice(tail, inImage - tail));
                }
            }
        }
    }

    /** Drops this layer's reference to whatever {@code entry} pointed at. */
    private void release(long entry) {
        if ((entry & Qcow2Image.COMPRESSED) != 0) {
            long end = compressed.dataEnd(entry);
            for (long c = compressed.firstHostCluster(entry); c < end; c += clusterSize) {
                refcounts.add(c, -1);
            }
            return;
        }
        long host = entry & Qcow2Image.OFFSET_MASK;
        if (host != 0 && !external) {
            refcounts.add(host, -1);
        }
    }

    /** Under the lock: L1 entry {@code l1Index}'s L2 table, allocating an empty one if there is none. */
    private long[] tableForWrite(int l1Index) {
        long l1Entry = tables.l1Entry(l1Index);
        long offset = l1Entry & Qcow2Image.OFFSET_MASK;
        if (offset != 0) {
            if ((l1Entry & Qcow2Image.COPIED) == 0) {
                throw signalCorruption("L1 entry %d: L2 table at 0x%x is shared (copied flag clear) in an image without snapshots"
                        .formatted(l1Index, offset));
            }
            return tables.table(l1Index, offset);
        }
        long fresh = refcounts.allocate(1);
        metadata.add(fresh);
        return tables.install(l1Index, fresh);
    }

    /**
     * Makes {@code [offset, offset+length)} read as zeros, releasing whole clusters: a zero
     * cluster in version 3, unallocated in version 2 when nothing lies below; with extended L2
     * entries the whole subclusters of a partial cluster become zero subclusters; other partial
     * clusters (and version 2 over a backing file) are written with zeros.
     */
    void discard(long offset, long length, boolean hasBelow, Qcow2Image.Below below) {
        requireNotCorrupted();
        long end = offset + length;
        long pos = offset;
        while (pos < end) {
            long inCluster = pos & clusterMask;
            long clusterStart = pos - inCluster;
            long clusterEnd = Math.min(clusterStart + clusterSize, virtualSize);
            long n = Math.min(end, clusterStart + clusterSize) - pos;
            boolean whole = inCluster == 0 && pos + n >= clusterEnd;
            // A raw external data file must read as the guest disk on its own: its zeros are written.
            if (whole && (header.version >= 3 || !hasBelow) && !header.dataFileRaw()) {
                lock.lock();
                try {
                    releaseWhole(pos, hasBelow);
                } finally {
                    lock.unlock();
                }
            } else if (extended && !header.dataFileRaw()) {
                discardSubclusters(pos, n, below);
            } else {
                writeZeros(pos, n, below);
            }
            pos += n;
        }
    }

    /**
     * Discards {@code [pos, pos+n)} inside one cluster of an image with extended L2 entries, as
     * qemu 7.2 zeroes such a range (its discard ignores partial clusters, which would leave the
     * data readable): the subclusters the range covers whole become zero subclusters (zero bit set,
     * allocation bit clear, the host cluster kept), with or without a backing file, and the bytes
     * of the subclusters at its edges are written with zeros. A compressed cluster is written
     * with zeros (copied into a new cluster), as qemu falls back to.
     */
    private void discardSubclusters(long pos, long n, Qcow2Image.Below below) {
        long subSize = 1L << subclusterBits;
        long end = pos + n;
        long first = (pos + subSize - 1) & -subSize;
        // The image's last subcluster counts as covered when the range reaches the end of the image.
        long last = end == virtualSize ? (end + subSize - 1) & -subSize : end & -subSize;
        if (first >= last) {
            writeZeros(pos, n, below);
            return;
        }
        writeZeros(pos, first - pos, below);
        boolean compressedCluster;
        lock.lock();
        try {
            long cluster = pos >>> clusterBits;
            int l1Index = (int) (cluster >>> l2Bits);
            long[] table = tableForWrite(l1Index);
            int slot = slot((int) (cluster & (l2Entries - 1)));
            compressedCluster = (table[slot] & Qcow2Image.COMPRESSED) != 0;
            long covered = subclusterMask(first & clusterMask, last - first);
            long bitmap = table[slot + 1];
            long zeroed = (bitmap & ~covered) | (covered << 32);
            if (!compressedCluster && zeroed != bitmap) {
                table[slot + 1] = zeroed;
                tables.markDirty(tables.l1Entry(l1Index) & Qcow2Image.OFFSET_MASK);
                boundDirtyTables();
            }
        } finally {
            lock.unlock();
        }
        if (compressedCluster) {
            writeZeros(first, Math.min(last, end) - first, below);
        }
        if (last < end) {
            writeZeros(last, end - last, below);
        }
    }

    /** Writes zeros over {@code [pos, pos+n)}. */
    private void writeZeros(long pos, long n, Qcow2Image.Below below) {
        long done = 0;
        while (done < n) {
            long k = Math.min(n - done, Zeros.CHUNK);
            write(pos + done, Zeros.SEGMENT.asSlice(0, k), below);
            done += k;
        }
    }

    /** Under the lock: makes the whole cluster at {@code pos} a zero cluster (or, without extended L2 entries, unallocated when nothing lies below). */
    private void releaseWhole(long pos, boolean hasBelow) {
        long cluster = pos >>> clusterBits;
        int l1Index = (int) (cluster >>> l2Bits);
        long l2Offset = tables.l1Entry(l1Index) & Qcow2Image.OFFSET_MASK;
        if (l2Offset != 0 || hasBelow) {
            long[] table = tableForWrite(l1Index);
            int slot = slot((int) (cluster & (l2Entries - 1)));
            long old = table[slot];
            if (extended) {
                // As qemu: a cluster with no host cluster and nothing below already reads as zeros and is left
                // alone; any other becomes 32 zero subclusters and its host cluster is released.
                long bitmap = ALL_ALLOCATED << 32;
                if ((old != 0 || hasBelow) && (old != 0 || table[slot + 1] != bitmap)) {
                    table[slot] = 0;
                    table[slot + 1] = bitmap;
                    tables.markDirty(tables.l1Entry(l1Index) & Qcow2Image.OFFSET_MASK);
                    release(old);
                }
                return;
            }
            long replacement = header.version >= 3 && hasBelow ? Qcow2Image.ZERO_FLAG : 0;
            if (old != replacement) {
                table[slot] = replacement;
                tables.markDirty(tables.l1Entry(l1Index) & Qcow2Image.OFFSET_MASK);
                release(old);
            }
        }
    }

    private void requireNotCorrupted() {
        if (corrupted) {
            throw ImageFormatException.notWritable(file.name(), "corruption was found earlier; further writes are refused");
        }
    }

    /** Marks the image corrupt on disk, as qemu does, and fails the operation. */
    private ImageFormatException signalCorruption(String problem) {
        corrupted = true;
        headerUpdates.markCorrupt();
        return ImageFormatException.corrupt(file.name(), problem + "; image marked corrupt, further writes refused");
    }
}
