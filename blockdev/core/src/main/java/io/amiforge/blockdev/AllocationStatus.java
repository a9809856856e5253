package io.amiforge.blockdev;

/**
 * Implemented by devices that know where their data is, so that copies can skip what reads
 * as zeros without reading it (qcow2 unallocated and zero clusters, holes in sparse files).
 */
public interface AllocationStatus {

    /**
     * The run of bytes starting at {@code offset} (inside the device) with one status, at most
     * {@code maxLength} long. A whole-device view answers only {@link Extent.Kind#DATA} or
     * {@link Extent.Kind#ZERO}; DATA may still contain zeros.
     */
    Extent extentAt(long offset, long maxLength);
}
