package io.amiforge.cli.image;

import io.amiforge.blockdev.AllocationStatus;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.Extent;

/**
 * How many bytes an image would take in a format, as {@code qemu-img measure} computes it:
 * {@code required} for the data a source holds, {@code fullyAllocated} for every cluster written.
 * qcow2 counts its metadata for a fully allocated image (header, L2 and L1 tables, refcount
 * blocks and table, to their fixed point), so {@code required} overestimates by design, exactly
 * as qemu-img does; raw is the virtual size either way.
 */
final class Measure {

    /** qcow2 L1 and L2 entries and refcount table entries are 8 bytes. */
    private static final int ENTRY = 8;

    /** The two sizes. */
    record Sizes(long required, long fullyAllocated) {
    }

    private Measure() {
    }

    /** Sizes in raw of an image of {@code virtualSize} bytes: the size rounded up to a sector. */
    static Sizes raw(long virtualSize) {
        long size = Math.ceilDiv(virtualSize, 512) * 512;
        return new Sizes(size, size);
    }

    /**
     * Sizes in qcow2 with {@code clusterSize} and 16-bit refcounts, of {@code virtualSize} bytes of
     * which {@code dataBytes} are clusters holding data.
     */
    static Sizes qcow2(long virtualSize, long dataBytes, int clusterSize) {
        long aligned = Math.ceilDiv(virtualSize, clusterSize) * clusterSize;
        long full = qcow2Metadata(aligned, clusterSize) + aligned;
        return new Sizes(full - aligned + dataBytes, full);
    }

    /** Metadata of a fully allocated qcow2 image of {@code aligned} bytes (qemu's qcow2_calc_prealloc_size less the data). */
    private static long qcow2Metadata(long aligned, int clusterSize) {
        long meta = clusterSize; // header
        long l2Entries = aligned / clusterSize;
        l2Entries = Math.ceilDiv(l2Entries, clusterSize / ENTRY) * (clusterSize / ENTRY);
        meta += l2Entries * ENTRY;
        long l1Entries = l2Entries * ENTRY / clusterSize;
        l1Entries = Math.ceilDiv(l1Entries, clusterSize / ENTRY) * (clusterSize / ENTRY);
        meta += l1Entries * ENTRY;
        return meta + refcountMetadata((meta + aligned) / clusterSize, clusterSize);
    }

    /** Refcount blocks and table for {@code clusters} clusters and themselves: the fixed point, with 16-bit refcounts. */
    private static long refcountMetadata(long clusters, int clusterSize) {
        long perBlock = clusterSize * 8L / 16;
        long perTableCluster = clusterSize / ENTRY;
        long table = 0;
        long blocks = 0;
        long n = 0;
        long last;
        do {
            last = n;
            blocks = Math.ceilDiv(clusters + table + blocks, perBlock);
            table = Math.ceilDiv(blocks, perTableCluster);
            n = clusters + blocks + table;
        } while (n != last);
        return (blocks + table) * clusterSize;
    }

    /**
     * The bytes of whole {@code clusterSize} clusters that hold data in {@code device} (ranges it
     * reports as zeros are skipped; a device that cannot say is all data), as qemu-img measure
     * counts a source.
     */
    static long dataClusters(BlockDevice device, int clusterSize) {
        long required = 0;
        long pos = 0;
        long size = device.size();
        while (pos < size) {
            Extent e = AllocationStatus.of(device, pos, size - pos);
            long n = e.length();
            if (e.kind() == Extent.Kind.DATA) {
                n = Math.ceilDiv(pos + n, clusterSize) * clusterSize - pos; // on to the end of the cluster
                required += pos % clusterSize + n;
            }
            pos += n;
        }
        return required;
    }
}
