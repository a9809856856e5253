package io.amiforge.imagefmt.qcow2;

import io.amiforge.imagefmt.format.ImageFormatException;
import org.roaringbitmap.longlong.Roaring64Bitmap;

/**
 * The host clusters of one writable qcow2 file that hold metadata (header, L1 table, refcount
 * table and blocks, L2 tables), so that no data write can land on them: an L2 table that
 * overlaps other metadata is refused at open, a data cluster that points at metadata is
 * corruption. The set is replaced copy-on-write under the image's lock and read without it.
 */
final class MetadataClusters {

    private final Qcow2File file;
    private final int clusterBits;
    private final long clusterMask;
    private volatile Roaring64Bitmap clusters = new Roaring64Bitmap();

    MetadataClusters(Qcow2File file, Qcow2Header header) {
        this.file = file;
        this.clusterBits = header.clusterBits;
        this.clusterMask = header.clusterSize() - 1;
    }

    /**
     * Records every metadata cluster of the file as opened: header, L1 table, refcount table
     * and blocks, then the L2 tables, rejecting misplaced ones and ones that overlap.
     */
    void collect(Qcow2Header header, Qcow2Refcounts refcounts, L2Tables tables) {
        Roaring64Bitmap set = clusters;
        set.addLong(0);
        addRange(set, header.l1TableOffset, (long) tables.l1Length() * 8);
        addRange(set, refcounts.tableOffset, (long) refcounts.tableClusters << clusterBits);
        refcounts.forEachBlock(offset -> set.addLong(offset >>> clusterBits));
        for (int i = 0; i < tables.l1Length(); i++) {
            long offset = tables.l1Entry(i) & Qcow2Image.OFFSET_MASK;
            if (offset == 0) {
                continue;
            }
            tables.checkTableOffset(i, offset);
            long cluster = offset >>> clusterBits;
            if (set.contains(cluster)) {
                throw ImageFormatException.corrupt(file.name(), "L1 entry %d (file offset 0x%x): L2 table at 0x%x overlaps other metadata (a cluster loop)"
                        .formatted(i, header.l1TableOffset + i * 8L, offset));
            }
            set.addLong(cluster);
        }
    }

    private void addRange(Roaring64Bitmap set, long offset, long bytes) {
        for (long c = offset >>> clusterBits; c < (offset + bytes + clusterMask) >>> clusterBits; c++) {
            set.addLong(c);
        }
    }

    /** Under the lock: records the newly allocated metadata cluster at {@code offset}. */
    void add(long offset) {
        Roaring64Bitmap copy = clusters.clone();
        copy.addLong(offset >>> clusterBits);
        clusters = copy;
    }

    /** True when the host cluster at {@code hostOffset} holds metadata. */
    boolean contains(long hostOffset) {
        return clusters.contains(hostOffset >>> clusterBits);
    }
}
