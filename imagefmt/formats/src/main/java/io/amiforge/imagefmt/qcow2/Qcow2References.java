package io.amiforge.imagefmt.qcow2;

import io.amiforge.imagefmt.format.ImageFormatException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Counts, for every host cluster of one qcow2 file, how many references the image's metadata
 * makes to it: the header cluster, the active L1 table and every snapshot's, the snapshot
 * table, each L2 table once per L1 entry naming it, each data, zero-allocated and compressed
 * cluster once per L2 entry naming it, and (when asked) the refcount table and blocks. This is
 * what a refcount must equal; {@link Qcow2Check} compares the two and {@link Qcow2RefcountRebuild}
 * writes them anew. References that cannot be counted (unaligned, past the end of the file) are
 * listed as errors, not counted. The active image's allocation figures are kept as
 * {@code qemu-img check} reports them (compressed clusters count as fragmented).
 */
final class Qcow2References {

    /** Most host clusters counted (an int per cluster: 256 MiB of counts). */
    static final long MAX_CLUSTERS = 64L << 20;

    final int[] counts;
    final List<String> errors = new ArrayList<>();
    long allocatedClusters;
    long fragmentedClusters;
    long compressedClusters;

    private final Qcow2File file;
    private final Qcow2Header h;
    private final int bits;
    private final long mask;
    private final long fileSize;

    private Qcow2References(Qcow2File file, Qcow2Header h, long fileClusters) {
        this.file = file;
        this.h = h;
        this.bits = h.clusterBits;
        this.mask = h.clusterSize() - 1L;
        this.fileSize = file.size();
        this.counts = new int[(int) fileClusters];
    }

    /** Counts every reference in {@code file}; with {@code refcountStructures} the refcount table and blocks too. */
    static Qcow2References count(Qcow2File file, Qcow2Header h, List<Qcow2Snapshot> snapshots, boolean refcountStructures) {
        if (h.extensionTypes.contains(Qcow2Header.EXT_BITMAPS) || h.extensionTypes.contains(Qcow2Header.EXT_CRYPTO)) {
            throw ImageFormatException.unsupported(file.name(), "the image has persistent bitmaps or encryption metadata, "
                    + "whose clusters amiforge does not account for; use 'qemu-img check'");
        }
        long fileClusters = (file.size() + h.clusterSize() - 1) >>> h.clusterBits;
        if (fileClusters > MAX_CLUSTERS) {
            throw ImageFormatException.unsupported(file.name(), "the file has " + fileClusters
                    + " clusters, more than the " + MAX_CLUSTERS + " amiforge counts references for; use 'qemu-img check'");
        }
        Qcow2References r = new Qcow2References(file, h, fileClusters);
        r.range(0, 1, "header");
        r.table(h.l1TableOffset, Integer.toUnsignedLong(h.l1Size), true, "active L1 table");
        if (!snapshots.isEmpty()) {
            long bytes = Qcow2SnapshotTable.length(snapshots);
            r.range(h.snapshotsOffset, bytes, "snapshot table");
            for (Qcow2Snapshot s : snapshots) {
                r.table(s.l1TableOffset(), Integer.toUnsignedLong(s.l1Size()), false, "L1 table of snapshot " + s.id());
            }
        }
        if (refcountStructures) {
            r.refcounts();
        }
        return r;
    }

    private void range(long offset, long bytes, String what) {
        if (bytes == 0) {
            return;
        }
        for (long c = offset >>> bits; c <= (offset + bytes - 1) >>> bits; c++) {
            one(c, what, offset);
        }
    }

    private void one(long cluster, String what, long at) {
        if (cluster < 0 || cluster >= counts.length) {
            errors.add("ERROR %s at 0x%x: cluster 0x%x lies past the end of the file (size 0x%x)"
                    .formatted(what, at, cluster << bits, fileSize));
            return;
        }
        counts[(int) cluster]++;
    }

    private void table(long l1Offset, long l1Size, boolean active, String what) {
        range(l1Offset, l1Size * 8, what);
        if (l1Size == 0) {
            return;
        }
        long[] l1 = new long[(int) l1Size];
        file.readMetadata(l1Offset, (int) (l1Size * 8), what).asLongBuffer().get(l1);
        int cs = h.clusterSize();
        long[] l2 = new long[cs / 8];
        for (int i = 0; i < l1.length; i++) {
            long offset = l1[i] & Qcow2Image.OFFSET_MASK;
            if (offset == 0) {
                continue;
            }
            long at = l1Offset + i * 8L;
            if ((offset & mask) != 0 || offset > fileSize - cs) {
                errors.add("ERROR L1 entry %d (file offset 0x%x, %s): L2 table offset 0x%x is unaligned or past the end of the file"
                        .formatted(i, at, what, offset));
                continue;
            }
            one(offset >>> bits, "L2 table", at);
            file.readMetadata(offset, cs, "L2 table").asLongBuffer().get(l2);
            l2(offset, l2, active);
        }
    }

    private void l2(long l2Offset, long[] table, boolean active) {
        int step = h.extendedL2() ? 2 : 1;
        long next = 0;
        for (int j = 0; j < table.length; j += step) {
            long e = table[j];
            long at = l2Offset + j * 8L;
            if ((e & Qcow2Image.COMPRESSED) != 0) {
                long offset = CompressedClusters.hostStart(e, bits);
                range(offset, CompressedClusters.hostEnd(e, bits) - offset, "compressed cluster of L2 entry at 0x%x".formatted(at));
                if (active) {
                    allocatedClusters++;
                    compressedClusters++;
                    fragmentedClusters++;
                }
                continue;
            }
            long offset = e & Qcow2Image.OFFSET_MASK;
            if (offset == 0 || h.hasDataFile()) {
                continue; // unallocated, or data in the external data file (not refcounted)
            }
            if ((offset & mask) != 0) {
                errors.add("ERROR L2 entry at file offset 0x%x: cluster offset 0x%x is not aligned".formatted(at, offset));
                continue;
            }
            one(offset >>> bits, "L2 entry", at);
            if (active) {
                allocatedClusters++;
                if (next != 0 && offset != next) {
                    fragmentedClusters++;
                }
                next = offset + mask + 1;
            }
        }
    }

    private void refcounts() {
        long bytes = Integer.toUnsignedLong(h.refcountTableClusters) << bits;
        range(h.refcountTableOffset, bytes, "refcount table");
        ByteBuffer table = file.readMetadata(h.refcountTableOffset, (int) bytes, "refcount table");
        for (int i = 0; i < bytes / 8; i++) {
            long offset = table.getLong(i * 8) & ~mask;
            if (offset == 0) {
                continue;
            }
            if ((table.getLong(i * 8) & mask) != 0 || offset > fileSize - (mask + 1)) {
                errors.add("ERROR refcount table entry %d (file offset 0x%x): refcount block 0x%x is unaligned or past the end of the file"
                        .formatted(i, h.refcountTableOffset + i * 8L, table.getLong(i * 8)));
                continue;
            }
            one(offset >>> bits, "refcount block", h.refcountTableOffset + i * 8L);
        }
    }

    /** True when some reference could not be counted (the refcounts cannot be made exact from these counts). */
    boolean broken() {
        return !errors.isEmpty();
    }
}
