package io.amiforge.cli.image;

import io.amiforge.blockdev.AllocationStatus;
import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.Extent;
import io.amiforge.imagefmt.format.CreateOptions;

/**
 * How many bytes an image would take in a format, as {@code qemu-img measure} computes it:
 * {@code required} for the data a source holds, {@code fullyAllocated} for every cluster written.
 * qcow2 counts its metadata for a fully allocated image (header, L2 and L1 tables, refcount
 * blocks and table, to their fixed point) for every creation option {@code image create} takes,
 * so {@code required} overestimates by design, exactly as qemu-img does; raw is the virtual size
 * either way.
 */
final class Measure {

    /** qcow2 L1 entries, L2 entries (16 with subclusters) and refcount table entries are 8 bytes. */
    private static final int ENTRY = 8;
    /** qcow2's largest L1 table (qemu's QCOW_MAX_L1_SIZE). */
    private static final long MAX_L1_BYTES = 32L << 20;
    /** The smallest cluster that can have 32 subclusters (qemu refuses extended L2 entries below it). */
    private static final int MIN_EXTENDED_L2_CLUSTER = 16 << 10;

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
     * Sizes in qcow2 created with {@code options} (cluster size, refcount width, extended L2
     * entries, preallocation), of {@code virtualSize} bytes of which {@code dataBytes} are
     * clusters holding data, as qemu's {@code qcow2_measure}: with {@code falloc} or {@code full}
     * preallocation every cluster is required;
     * {@code metadata} preallocation changes nothing because the metadata of a full image is
     * always counted. A data file, compression type and lazy refcounts do not change the figures
     * (qemu-img counts the guest data as if it stayed in the qcow2 file).
     *
     * @throws AmiforgeException (usage) for options {@link #checkQcow2} refuses, or an L1 table
     *     larger than qcow2's 32 MiB
     */
    static Sizes qcow2(long virtualSize, long dataBytes, CreateOptions options) {
        checkQcow2(options);
        int clusterSize = options.clusterSize();
        int l2Entry = options.extendedL2() ? 2 * ENTRY : ENTRY;
        long aligned = Math.ceilDiv(virtualSize, clusterSize) * clusterSize;
        long l2Tables = Math.ceilDiv(aligned / clusterSize, clusterSize / l2Entry);
        if (l2Tables * ENTRY > MAX_L1_BYTES) {
            throw usage("a qcow2 image of " + virtualSize + " bytes with " + clusterSize + "-byte clusters needs an L1 table of "
                    + l2Tables * ENTRY + " bytes, more than qcow2's 32 MiB (try a larger cluster_size)");
        }
        long full = qcow2Metadata(aligned, clusterSize, l2Entry, options.refcountBits()) + aligned;
        boolean everyCluster = "full".equals(options.preallocation()) || "falloc".equals(options.preallocation());
        long required = everyCluster ? aligned : dataBytes;
        return new Sizes(full - aligned + required, full);
    }

    /**
     * Refuses the qcow2 creation options qemu-img refuses to measure, whatever the size: extended
     * L2 entries below 16 KiB clusters, refcounts other than 16 bits with compat=0.10.
     */
    static void checkQcow2(CreateOptions options) {
        if (options.extendedL2() && options.clusterSize() < MIN_EXTENDED_L2_CLUSTER) {
            throw usage("extended_l2=on needs cluster_size of at least 16K (qcow2 subclusters are 1/32 of a cluster), not "
                    + options.clusterSize());
        }
        if (options.refcountBits() != 16 && "0.10".equals(options.compat())) {
            throw usage("refcount_bits=" + options.refcountBits() + " needs compat=1.1 (compat=0.10 images have 16-bit refcounts)");
        }
    }

    /** Metadata of a fully allocated qcow2 image of {@code aligned} bytes (qemu's qcow2_calc_prealloc_size less the data). */
    private static long qcow2Metadata(long aligned, int clusterSize, int l2Entry, int refcountBits) {
        long meta = clusterSize; // header
        long l2Entries = aligned / clusterSize;
        l2Entries = Math.ceilDiv(l2Entries, clusterSize / l2Entry) * (clusterSize / l2Entry);
        meta += l2Entries * l2Entry;
        long l1Entries = l2Entries * l2Entry / clusterSize;
        l1Entries = Math.ceilDiv(l1Entries, clusterSize / ENTRY) * (clusterSize / ENTRY);
        meta += l1Entries * ENTRY;
        return meta + refcountMetadata((meta + aligned) / clusterSize, clusterSize, refcountBits);
    }

    /** Refcount blocks and table for {@code clusters} clusters and themselves: the fixed point. */
    private static long refcountMetadata(long clusters, int clusterSize, int refcountBits) {
        long perBlock = clusterSize * 8L / refcountBits;
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

    private static AmiforgeException usage(String message) {
        return new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue", "-o: " + message);
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
