package io.amiforge.imagefmt.format;

import java.lang.foreign.MemorySegment;

/**
 * Implemented by devices that can store a cluster compressed ({@code qemu-img convert -c}):
 * image conversion with {@link CreateOptions#compressed()} hands them whole clusters.
 */
public interface CompressedWrites {

    /** The unit of compression in bytes (the cluster size), a power of two. */
    int compressionUnit();

    /**
     * Stores {@code cluster} at {@code offset} compressed, or as it is when compressing does not
     * make it smaller. {@code offset} is a multiple of {@link #compressionUnit()} and {@code
     * cluster} is one unit long, or shorter only for the last cluster of the device.
     */
    void writeCompressed(long offset, MemorySegment cluster);
}
