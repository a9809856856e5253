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

    private final Qcow2File file;
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
    private volatile boolean corrupted;
    /** The host cluster compressed clusters are being packed into (0: none yet) and its bytes used; guarded by the lock. */
    private long packCluster;
    private int packUsed;
    /** One cluster for copy-on-write, guarded by the lock. */
    private byte[] cowBuffer;

    ClusterWriter(Qcow2File file, Qcow2Header header, ReentrantLock lock, L2Tables tables, ClusterLookup lookup,
                  CompressedClusters compressed, Qcow2Refcounts refcounts, MetadataClusters metadata,
                  HeaderUpdates headerUpdates, MetadataWriteBack writeBack) {
        this.file = file;
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
            long host = inPlaceHost(pos);
            if (host != 0) {
                file.write(host + inCluster, src.asSlice(done, n));
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
            if (packCluster != 0 && packUsed + length <= clusterSize) {
                at = packCluster + packUsed;
                refcounts.add(packCluster, 1);
            } else {
                packCluster = refcounts.allocate(1);
                packUsed = 0;
                at = packCluster;
            }
            packUsed += length;
            file.write(at, java.nio.ByteBuffer.wrap(data, 0, length));
            long entry = table[index];
            table[index] = compressed.descriptor(at, length);
            tables.markDirty(l2Offset);
            release(entry);
            boundDirtyTables();
        } finally {
            lock.unlock();
        }
    }

    /** The host cluster of {@code pos} when it may be written in place (refcount 1), else 0. */
    private long inPlaceHost(long pos) {
        long cluster = pos >>> clusterBits;
        long l1Index = cluster >>> l2Bits;
        long l1Entry = tables.l1Entry((int) l1Index);
        long l2Offset = l1Entry & Qcow2Image.OFFSET_MASK;
        if (l2Offset == 0 || (l1Entry & Qcow2Image.COPIED) == 0) {
            return 0;
        }
        long entry = tables.table((int) l1Index, l2Offset)[(int) (cluster & (l2Entries - 1))];
        if ((entry & (Qcow2Image.COPIED | Qcow2Image.COMPRESSED | Qcow2Image.ZERO_FLAG)) != Qcow2Image.COPIED) {
            return 0;
        }
        long host = entry & Qcow2Image.OFFSET_MASK;
        if (host == 0 || (host & clusterMask) != 0) {
            return 0;
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
        long host = inPlaceHost(pos);
        if (host != 0) { // another writer allocated it meanwhile
            long n = Math.min(remaining, clusterSize - inCluster);
            file.write(host + inCluster, src.asSlice(done, n));
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
                    && ((table[index + count] & ~Qcow2Image.ZERO_FLAG) == 0)) {
                count++;
            }
            if (count > 0) {
                long fresh = refcounts.allocate(count);
                file.write(fresh, src.asSlice(done, (long) count * clusterSize));
                for (int i = 0; i < count; i++) {
                    table[index + i] = (fresh + ((long) i << clusterBits)) | Qcow2Image.COPIED;
                }
                tables.markDirty(l2Offset);
                boundDirtyTables();
                return (long) count * clusterSize;
            }
        }
        long n = Math.min(remaining, clusterSize - inCluster);
        long entry = table[index];
        long clusterStart = cluster << clusterBits;
        long inImage = Math.min(clusterSize, virtualSize - clusterStart);
        if (cowBuffer == null) {
            cowBuffer = new byte[clusterSize];
        }
        MemorySegment buffer = MemorySegment.ofArray(cowBuffer);
        if (inCluster > 0 || inCluster + n < inImage) {
            fillOld(entry, l2Offset, index, clusterStart, inImage, buffer, inCluster, n, below);
        }
        if (inImage < clusterSize) {
            buffer.asSlice(inImage).fill((byte) 0);
        }
        MemorySegment.copy(src, done, buffer, inCluster, n);
        long fresh = refcounts.allocate(1);
        file.write(fresh, buffer);
        table[index] = fresh | Qcow2Image.COPIED;
        tables.markDirty(l2Offset);
        release(entry);
        boundDirtyTables();
        return n;
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
            case Mapping.DATA -> file.read(code & ~3L, buffer.asSlice(0, inImage));
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
        if (host != 0) {
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
     * cluster in version 3, unallocated in version 2 when nothing lies below; partial clusters
     * (and version 2 over a backing file) are written with zeros.
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
            if (whole && (header.version >= 3 || !hasBelow)) {
                lock.lock();
                try {
                    releaseWhole(pos, hasBelow);
                } finally {
                    lock.unlock();
                }
            } else {
                long done = 0;
                while (done < n) {
                    long k = Math.min(n - done, Zeros.CHUNK);
                    write(pos + done, Zeros.SEGMENT.asSlice(0, k), below);
                    done += k;
                }
            }
            pos += n;
        }
    }

    /** Under the lock: makes the whole cluster at {@code pos} a zero cluster (or unallocated when nothing lies below). */
    private void releaseWhole(long pos, boolean hasBelow) {
        long cluster = pos >>> clusterBits;
        int l1Index = (int) (cluster >>> l2Bits);
        long l2Offset = tables.l1Entry(l1Index) & Qcow2Image.OFFSET_MASK;
        if (l2Offset != 0 || hasBelow) {
            long[] table = tableForWrite(l1Index);
            int index = (int) (cluster & (l2Entries - 1));
            long old = table[index];
            long replacement = header.version >= 3 && hasBelow ? Qcow2Image.ZERO_FLAG : 0;
            if (old != replacement) {
                table[index] = replacement;
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
