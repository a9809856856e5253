package io.amiforge.imagefmt.qcow2;

import io.amiforge.imagefmt.format.ImageFormatException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The refcount table and refcount blocks of one qcow2 file, and the cluster allocator that
 * keeps them exact. Any refcount width (1 to 64 bits) is read and written; new images use 16.
 * New clusters are taken from the end of the file. Changes stay in memory, marked dirty,
 * until {@link Qcow2Image#flush()} writes them (after the data they describe).
 *
 * <p>Not thread-safe: every caller holds the image's allocation lock.
 */
final class Qcow2Refcounts {

    private static final long OFFSET_MASK = 0xffff_ffff_ffff_fe00L;

    private final Qcow2File file;
    private final int clusterBits;
    private final int clusterSize;
    private final int order;
    private final long entriesPerBlock;
    private final long maxValue;

    long[] table;
    long tableOffset;
    int tableClusters;
    boolean tableDirty;
    private long nextFree;
    private final Map<Long, byte[]> blocks = new HashMap<>();
    private final Set<Long> dirtyBlocks = new LinkedHashSet<>();

    private final java.util.function.LongConsumer onMetadata;

    Qcow2Refcounts(Qcow2File file, Qcow2Header header, long fileSize, java.util.function.LongConsumer onMetadata) {
        this.file = file;
        this.onMetadata = onMetadata;
        this.clusterBits = header.clusterBits;
        this.clusterSize = header.clusterSize();
        this.order = header.refcountOrder;
        this.entriesPerBlock = ((long) clusterSize * 8) >>> order;
        this.maxValue = order == 6 ? -1L : (1L << (1 << order)) - 1;
        this.tableOffset = header.refcountTableOffset;
        this.tableClusters = header.refcountTableClusters;
        // The table was checked to lie inside the file and within 8 MiB by the header.
        ByteBuffer bytes = file.readMetadata(tableOffset, (int) ((long) tableClusters * clusterSize), "refcount table");
        this.table = new long[bytes.capacity() / 8];
        bytes.asLongBuffer().get(table);
        this.nextFree = (fileSize + clusterSize - 1) & -(long) clusterSize;
    }

    /** The largest refcount the image's refcount width holds (unsigned; -1 for 64 bits). */
    long maxValue() {
        return maxValue;
    }

    /** The first byte after every cluster allocated so far. */
    long end() {
        return nextFree;
    }

    /** The refcount of the cluster at host cluster index {@code cluster}. */
    long get(long cluster) {
        long ti = cluster / entriesPerBlock;
        if (ti >= table.length) {
            return 0;
        }
        long blockOffset = blockOffset(ti);
        if (blockOffset == 0) {
            return 0;
        }
        return read(block(blockOffset, ti), cluster % entriesPerBlock);
    }

    /** Sets the refcount of host cluster {@code cluster}, allocating refcount blocks as needed. */
    void set(long cluster, long value) {
        if (Long.compareUnsigned(value, maxValue) > 0) {
            throw ImageFormatException.corrupt(file.name(), "refcount of cluster 0x%x would be %d, more than %d-bit refcounts hold"
                    .formatted(cluster << clusterBits, value, 1 << order));
        }
        long ti = cluster / entriesPerBlock;
        byte[] block = blockForWrite(ti);
        write(block, cluster % entriesPerBlock, value);
    }

    /** Adds {@code delta} (may be negative) to the refcount of the cluster holding {@code hostOffset}. */
    void add(long hostOffset, long delta) {
        long cluster = hostOffset >>> clusterBits;
        long now = get(cluster);
        long next = now + delta;
        if (next < 0) {
            throw ImageFormatException.corrupt(file.name(), "refcount of cluster 0x%x is %d and would drop below zero"
                    .formatted(cluster << clusterBits, now));
        }
        set(cluster, next);
    }

    /** Allocates {@code count} contiguous new clusters with refcount 1; returns the first one's offset. */
    long allocate(int count) {
        long host = nextFree;
        nextFree = Math.addExact(nextFree, (long) count << clusterBits);
        for (int i = 0; i < count; i++) {
            set((host >>> clusterBits) + i, 1);
        }
        return host;
    }

    private long blockOffset(long ti) {
        long entry = table[(int) ti];
        long offset = entry & OFFSET_MASK;
        if (offset != 0 && (offset & (clusterSize - 1)) != 0) {
            throw ImageFormatException.corrupt(file.name(), "refcount table entry %d (file offset 0x%x): block offset 0x%x is not cluster-aligned"
                    .formatted(ti, tableOffset + ti * 8, offset));
        }
        return offset;
    }

    private byte[] block(long offset, long ti) {
        byte[] block = blocks.get(offset);
        if (block == null) {
            if (offset < 0 || offset > file.size() - clusterSize) {
                throw ImageFormatException.corrupt(file.name(),
                        "refcount table entry %d (file offset 0x%x): refcount block at 0x%x lies beyond the end of the file (size 0x%x)"
                        .formatted(ti, tableOffset + ti * 8, offset, file.size()));
            }
            block = file.readMetadata(offset, clusterSize, "refcount block").array();
            blocks.put(offset, block);
        }
        return block;
    }

    private byte[] blockForWrite(long ti) {
        if (ti >= table.length) {
            grow(ti);
        }
        long offset = blockOffset(ti);
        if (offset != 0) {
            byte[] block = block(offset, ti);
            dirtyBlocks.add(offset);
            return block;
        }
        long fresh = nextFree;
        nextFree += clusterSize;
        byte[] block = new byte[clusterSize];
        blocks.put(fresh, block);
        dirtyBlocks.add(fresh);
        table[(int) ti] = fresh;
        tableDirty = true;
        onMetadata.accept(fresh);
        set(fresh >>> clusterBits, 1); // may land in this block or the next; terminates either way
        return block;
    }

    /** Moves the table to a bigger place at the end of the file, covering index {@code ti}. */
    private void grow(long ti) {
        long entriesPerCluster = clusterSize / 8;
        long wanted = Math.max((long) table.length * 2, ti + 1 + entriesPerCluster);
        long clusters = (wanted + entriesPerCluster - 1) / entriesPerCluster;
        if (clusters * clusterSize > Qcow2Header.MAX_REFTABLE_BYTES) {
            throw ImageFormatException.unsupported(file.name(), "refcount table would grow beyond "
                    + Qcow2Header.MAX_REFTABLE_BYTES + " bytes (image too large for its cluster size)");
        }
        long oldOffset = tableOffset;
        int oldClusters = tableClusters;
        long fresh = nextFree;
        nextFree += clusters * clusterSize;
        long[] bigger = new long[(int) (clusters * entriesPerCluster)];
        System.arraycopy(table, 0, bigger, 0, table.length);
        table = bigger;
        tableOffset = fresh;
        tableClusters = (int) clusters;
        tableDirty = true;
        for (long c = 0; c < clusters; c++) {
            onMetadata.accept(fresh + c * clusterSize);
            set((fresh >>> clusterBits) + c, 1);
        }
        for (long c = 0; c < oldClusters; c++) {
            set((oldOffset >>> clusterBits) + c, 0);
        }
    }

    private long read(byte[] block, long index) {
        int bits = 1 << order;
        if (bits < 8) {
            long bit = index * bits;
            int b = block[(int) (bit >>> 3)] & 0xff;
            return (b >>> (bit & 7)) & ((1 << bits) - 1);
        }
        int bytes = bits >>> 3;
        int at = (int) (index * bytes);
        long value = 0;
        for (int i = 0; i < bytes; i++) {
            value = (value << 8) | (block[at + i] & 0xff);
        }
        return value;
    }

    private void write(byte[] block, long index, long value) {
        writeEntry(block, order, index, value);
    }

    /** Stores {@code value} as entry {@code index} of a refcount block of {@code 2^order}-bit entries. */
    static void writeEntry(byte[] block, int order, long index, long value) {
        int bits = 1 << order;
        if (bits < 8) {
            long bit = index * bits;
            int at = (int) (bit >>> 3);
            int shift = (int) (bit & 7);
            int mask = ((1 << bits) - 1) << shift;
            block[at] = (byte) ((block[at] & ~mask) | (((int) value << shift) & mask));
            return;
        }
        int bytes = bits >>> 3;
        int at = (int) (index * bytes);
        for (int i = bytes - 1; i >= 0; i--) {
            block[at + i] = (byte) value;
            value >>>= 8;
        }
    }

    /** Writes dirty refcount blocks and (if changed) the table; the caller syncs and updates the header. */
    void writeDirty() {
        for (long offset : dirtyBlocks) {
            file.writeMetadata(offset, ByteBuffer.wrap(blocks.get(offset)), "refcount block");
        }
        dirtyBlocks.clear();
        if (tableDirty) {
            ByteBuffer bytes = ByteBuffer.allocate(table.length * 8);
            bytes.asLongBuffer().put(table);
            file.writeMetadata(tableOffset, bytes, "refcount table");
            tableDirty = false;
        }
    }

    boolean dirty() {
        return tableDirty || !dirtyBlocks.isEmpty();
    }

    /** Every host offset of a refcount block, for the metadata-overlap check. */
    void forEachBlock(java.util.function.LongConsumer action) {
        for (int ti = 0; ti < table.length; ti++) {
            long offset = blockOffset(ti);
            if (offset != 0) {
                action.accept(offset);
            }
        }
    }
}
