package io.amiforge.imagefmt.qcow2;

import io.amiforge.imagefmt.format.ImageFormatException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * One change to a qcow2 file's structure made while no device has it open (resize, internal
 * snapshots, rebase): the file, its header, and its refcounts with the allocator. The order
 * that keeps a crash harmless is the caller's, with these steps: new clusters are allocated
 * and written, {@link #commitRefcounts()} makes their refcounts durable, then the header or
 * table that points at them is written and synced, and only then are the clusters it no
 * longer uses freed (a crash in between leaks clusters, never loses data).
 *
 * <p>Refused with a clear error: images marked dirty or corrupt (check and repair them first),
 * and images with bitmaps or encryption metadata.
 */
final class Qcow2Edit implements AutoCloseable {

    private static final int REFCOUNT_TABLE_OFFSET = 48;

    final Qcow2File file;
    final Qcow2Header header;
    final Qcow2Refcounts refcounts;
    private long reftableOffset;
    private int reftableClusters;

    private Qcow2Edit(Qcow2File file, Qcow2Header header) {
        this.file = file;
        this.header = header;
        this.refcounts = new Qcow2Refcounts(file, header, file.size(), offset -> { });
        this.reftableOffset = header.refcountTableOffset;
        this.reftableClusters = header.refcountTableClusters;
    }

    /** Opens {@code path} read-write for {@code what} (named in errors). */
    static Qcow2Edit open(Path path, String what) {
        Qcow2File file = Qcow2File.open(path, true);
        try {
            Qcow2Header h = Qcow2Image.readHeader(file);
            if (h.dirty() || h.corrupt()) {
                throw ImageFormatException.notWritable(file.name(), "image is marked " + (h.corrupt() ? "corrupt" : "dirty")
                        + "; run 'amiforge image check -r all' on it before " + what);
            }
            if (h.extensionTypes.contains(Qcow2Header.EXT_BITMAPS) || h.extensionTypes.contains(Qcow2Header.EXT_CRYPTO)) {
                throw ImageFormatException.unsupported(file.name(), what + " of images with bitmaps or encryption metadata is not supported");
            }
            if (h.hasDataFile()) {
                // Resizing would have to resize the data file, snapshots cannot exist with one (qcow2.txt).
                throw ImageFormatException.unsupported(file.name(), what + " of images with an external data file (incompatible"
                        + " feature bit 2) is not supported");
            }
            return new Qcow2Edit(file, h);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    int clusterSize() {
        return header.clusterSize();
    }

    /** {@code bytes} rounded up to whole clusters, as a cluster count. */
    int clustersFor(long bytes) {
        return Math.toIntExact((bytes + clusterSize() - 1) >>> header.clusterBits);
    }

    /** Allocates and writes {@code bytes} (zero-padded to whole clusters) at the end of the file; returns the offset. */
    long append(ByteBuffer bytes, String what) {
        int clusters = Math.max(1, clustersFor(bytes.remaining()));
        long offset = refcounts.allocate(clusters);
        ByteBuffer padded = ByteBuffer.allocate(clusters * clusterSize()).put(bytes).rewind();
        file.writeMetadata(offset, padded, what);
        return offset;
    }

    /** Drops one reference to each cluster of {@code [offset, offset+bytes)}. */
    void release(long offset, long bytes) {
        if (bytes <= 0) {
            return;
        }
        long mask = clusterSize() - 1L;
        for (long c = offset & ~mask; c < offset + bytes; c += clusterSize()) {
            refcounts.add(c, -1);
        }
    }

    /** Adds one reference to the cluster at {@code offset}. */
    void retain(long offset) {
        refcounts.add(offset, 1);
    }

    /**
     * Adds {@code delta} to the refcount of every cluster one L2 entry references: a data or
     * zero-allocated cluster, or each host cluster a compressed cluster's data touches.
     */
    void referenceEntry(long entry, int delta) {
        int bits = header.clusterBits;
        if ((entry & Qcow2Image.COMPRESSED) != 0) {
            long start = CompressedClusters.hostStart(entry, bits);
            long end = CompressedClusters.hostEnd(entry, bits);
            for (long c = start >>> bits; c <= (end - 1) >>> bits; c++) {
                refcounts.add(c << bits, delta);
            }
            return;
        }
        long offset = entry & Qcow2Image.OFFSET_MASK;
        if (offset != 0) {
            if ((offset & (clusterSize() - 1)) != 0 || offset >= file.size()) {
                throw ImageFormatException.corrupt(file.name(), "L2 entry 0x%x: cluster offset 0x%x is unaligned or past the end of the file (size 0x%x)"
                        .formatted(entry, offset, file.size()));
            }
            refcounts.add(offset, delta);
        }
    }

    /**
     * Adds {@code delta} to the refcounts of everything the L1 table {@code l1} reaches: each L2
     * table once per entry naming it, and each cluster its entries reference (the way
     * {@link Qcow2References} counts, so a snapshot's tables hold one reference each).
     */
    void referenceTree(long[] l1, int delta) {
        int step = header.extendedL2() ? 2 : 1;
        for (long entry : l1) {
            long l2Offset = entry & Qcow2Image.OFFSET_MASK;
            if (l2Offset == 0) {
                continue;
            }
            if ((l2Offset & (clusterSize() - 1)) != 0 || l2Offset > file.size() - clusterSize()) {
                throw ImageFormatException.corrupt(file.name(), "L1 entry 0x%x: L2 table offset 0x%x is unaligned or past the end of the file (size 0x%x)"
                        .formatted(entry, l2Offset, file.size()));
            }
            refcounts.add(l2Offset, delta);
            long[] l2 = readTable(l2Offset, clusterSize() / 8, "L2 table");
            for (int j = 0; j < l2.length; j += step) {
                referenceEntry(l2[j], delta);
            }
        }
    }

    /** Reads a table of {@code entries} 64-bit entries at {@code offset}. */
    long[] readTable(long offset, long entries, String what) {
        long[] table = new long[Math.toIntExact(entries)];
        if (entries > 0) {
            file.readMetadata(offset, Math.toIntExact(entries * 8), what).asLongBuffer().get(table);
        }
        return table;
    }

    static ByteBuffer bytesOf(long[] table) {
        ByteBuffer b = ByteBuffer.allocate(table.length * 8);
        b.asLongBuffer().put(table);
        return b;
    }

    /** Writes the changed refcounts, syncs, points the header at a moved refcount table, syncs. */
    void commitRefcounts() {
        if (!refcounts.dirty()) {
            return;
        }
        refcounts.writeDirty();
        file.force();
        if (refcounts.tableOffset != reftableOffset || refcounts.tableClusters != reftableClusters) {
            ByteBuffer fields = ByteBuffer.allocate(12).putLong(0, refcounts.tableOffset).putInt(8, refcounts.tableClusters);
            file.writeMetadata(REFCOUNT_TABLE_OFFSET, fields, "header refcount_table_offset");
            file.force();
            reftableOffset = refcounts.tableOffset;
            reftableClusters = refcounts.tableClusters;
        }
    }

    /** Writes {@code bytes} over header field(s) at {@code offset} and syncs. */
    void writeHeader(int offset, ByteBuffer bytes, String field) {
        file.writeMetadata(offset, bytes, "header " + field);
        file.force();
    }

    @Override
    public void close() {
        file.close();
    }
}
