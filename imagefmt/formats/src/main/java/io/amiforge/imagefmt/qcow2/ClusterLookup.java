package io.amiforge.imagefmt.qcow2;

import io.amiforge.imagefmt.format.ImageFormatException;

/**
 * Decodes this file's L2 entries into {@link Mapping}s: where a run of guest bytes lives in
 * this layer (data at a host offset, compressed, zero, or unallocated), merging neighbouring
 * entries of the same kind. Handles standard and extended (subcluster) L2 entries. Every host
 * offset it returns was checked to be cluster-aligned and inside the file; a bad entry is a
 * corruption error naming the L2 entry and its file offset.
 *
 * <p>The read hot path: no lock, no allocation.
 */
final class ClusterLookup {

    private final Qcow2File file;
    private final L2Tables tables;
    private final int clusterBits;
    private final int clusterSize;
    private final long clusterMask;
    private final boolean extended;
    private final int l2Bits;
    private final int l2Entries;
    private final int subclusterBits;
    /** Guest data is in an external data file: host offset = guest offset, 0 is valid, not bounded by this file. */
    private final boolean external;

    ClusterLookup(Qcow2File file, Qcow2File data, Qcow2Header header, L2Tables tables) {
        this.file = file;
        this.external = data != file;
        this.tables = tables;
        this.clusterBits = header.clusterBits;
        this.clusterSize = header.clusterSize();
        this.clusterMask = clusterSize - 1;
        this.extended = header.extendedL2();
        this.l2Bits = tables.l2Bits();
        this.l2Entries = tables.l2Entries();
        this.subclusterBits = clusterBits - 5;
    }

    /** Where the run at guest offset {@code pos} (inside the image) of at most {@code maxLength} bytes lives in this layer. */
    void map(long pos, long maxLength, Mapping m) {
        long cluster = pos >>> clusterBits;
        long l1Index = cluster >>> l2Bits;
        if (l1Index >= tables.l1Length()) {
            m.set(Mapping.UNALLOCATED, 0, maxLength);
            return;
        }
        long coverageEnd = (l1Index + 1) << tables.coverageBits();
        long limit = Math.min(maxLength, coverageEnd - pos);
        long l2Offset = tables.l1Entry((int) l1Index) & Qcow2Image.OFFSET_MASK;
        if (l2Offset == 0) {
            m.set(Mapping.UNALLOCATED, 0, limit);
            return;
        }
        long[] table = tables.table((int) l1Index, l2Offset);
        int index = (int) (cluster & (l2Entries - 1));
        long inCluster = pos & clusterMask;
        if (extended) {
            mapExtended(table, index, inCluster, limit, l2Offset, m);
            return;
        }
        long entry = table[index];
        if ((entry & Qcow2Image.COMPRESSED) != 0) {
            if (external) {
                throw badL2(l2Offset, index, "compressed cluster in an image with an external data file");
            }
            m.set(Mapping.COMPRESSED, entry, Math.min(limit, clusterSize - inCluster));
            return;
        }
        long code = classify(entry, l2Offset, index);
        long length = clusterSize - inCluster;
        long next = (code & ~3L) + clusterSize;
        int kind = (int) (code & 3);
        while (length < limit && ++index < l2Entries) {
            long e = table[index];
            if ((e & Qcow2Image.COMPRESSED) != 0) {
                break;
            }
            long c = classify(e, l2Offset, index);
            if ((int) (c & 3) != kind || (kind == Mapping.DATA && (c & ~3L) != next)) {
                break;
            }
            next += clusterSize;
            length += clusterSize;
        }
        long host = kind == Mapping.DATA ? (code & ~3L) + inCluster : 0;
        m.set(kind, host, Math.min(length, limit));
    }

    /** Standard (non-compressed) L2 entry to {@code hostOffset | kind}; host offsets are 512-aligned. */
    long classify(long entry, long l2Offset, int index) {
        if ((entry & Qcow2Image.ZERO_FLAG) != 0) {
            return Mapping.ZERO;
        }
        long offset = entry & Qcow2Image.OFFSET_MASK;
        if (offset == 0 && (!external || (entry & Qcow2Image.COPIED) == 0)) {
            return Mapping.UNALLOCATED;
        }
        if ((offset & clusterMask) != 0) {
            throw badL2(l2Offset, index, "data cluster offset 0x%x is not cluster-aligned".formatted(offset));
        }
        if (!external && offset >= file.size()) {
            throw badL2(l2Offset, index, "data cluster offset 0x%x lies beyond the end of the file (size 0x%x)"
                    .formatted(offset, file.size()));
        }
        return offset | Mapping.DATA;
    }

    private void mapExtended(long[] table, int index, long inCluster, long limit, long l2Offset, Mapping m) {
        long entry = table[2 * index];
        if ((entry & Qcow2Image.COMPRESSED) != 0) {
            m.set(Mapping.COMPRESSED, entry, Math.min(limit, clusterSize - inCluster));
            return;
        }
        int sub = (int) (inCluster >>> subclusterBits);
        long subSize = 1L << subclusterBits;
        long code = classifySub(entry, table[2 * index + 1], sub, l2Offset, index);
        int kind = (int) (code & 3);
        long length = subSize - (inCluster & (subSize - 1));
        long next = (code & ~3L) + subSize;
        while (length < limit) {
            if (++sub == 32) {
                sub = 0;
                if (++index >= l2Entries) {
                    break;
                }
                entry = table[2 * index];
                if ((entry & Qcow2Image.COMPRESSED) != 0) {
                    break;
                }
            }
            long c = classifySub(entry, table[2 * index + 1], sub, l2Offset, index);
            if ((int) (c & 3) != kind || (kind == Mapping.DATA && (c & ~3L) != next)) {
                break;
            }
            next += subSize;
            length += subSize;
        }
        long host = kind == Mapping.DATA ? (code & ~3L) + (inCluster & (subSize - 1)) : 0;
        m.set(kind, host, Math.min(length, limit));
    }

    long classifySub(long entry, long bitmap, int sub, long l2Offset, int index) {
        boolean allocated = ((bitmap >>> sub) & 1) != 0;
        boolean zero = ((bitmap >>> (32 + sub)) & 1) != 0;
        if (allocated && zero) {
            throw badL2(l2Offset, index, "subcluster %d is marked both allocated and zero".formatted(sub));
        }
        if (zero) {
            return Mapping.ZERO;
        }
        if (!allocated) {
            return Mapping.UNALLOCATED;
        }
        long offset = entry & Qcow2Image.OFFSET_MASK;
        if (offset == 0 && !external || (offset & clusterMask) != 0) {
            throw badL2(l2Offset, index, "subcluster %d is allocated but the cluster offset 0x%x is not a valid cluster offset"
                    .formatted(sub, offset));
        }
        if (!external && offset >= file.size()) {
            throw badL2(l2Offset, index, "data cluster offset 0x%x lies beyond the end of the file (size 0x%x)"
                    .formatted(offset, file.size()));
        }
        return (offset + ((long) sub << subclusterBits)) | Mapping.DATA;
    }

    private ImageFormatException badL2(long l2Offset, int index, String problem) {
        return ImageFormatException.corrupt(file.name(), "L2 entry %d (file offset 0x%x): %s"
                .formatted(index, l2Offset + (long) index * (extended ? 16 : 8), problem));
    }
}
