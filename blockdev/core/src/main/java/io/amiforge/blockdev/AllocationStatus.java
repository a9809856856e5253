package io.amiforge.blockdev;

/**
 * Implemented by devices that know where their data is, so that copies can skip what reads
 * as zeros without reading it and the NBD server can report holes: qcow2 unallocated and zero
 * clusters, holes in sparse files, unwritten chunks of a memory device, blocks a snapshot
 * chain never stored. A device that does not implement it is all {@link Extent.Kind#DATA}:
 * {@link #of} answers for any device.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>The answer starts exactly at {@code offset} and is between 1 and {@code maxLength}
 *       bytes long. It may stop before the run of equal status ends (callers ask again from
 *       its end), so adjacent extents may have the same kind.</li>
 *   <li>{@code [offset, offset+maxLength)} must lie inside the device and {@code maxLength}
 *       must be at least 1; otherwise {@link BlockDeviceException.OutOfRange}. A closed device
 *       fails with {@link BlockDeviceException.Closed}.</li>
 *   <li>The answer reflects every write and discard that returned before the call. It never
 *       reports {@link Extent.Kind#ZERO} for bytes that do not read as zeros; {@link
 *       Extent.Kind#DATA} may still read as zeros.</li>
 *   <li>A whole-device view answers only {@link Extent.Kind#DATA} or {@link Extent.Kind#ZERO};
 *       {@link Extent.Kind#UNALLOCATED} is for one layer of a backing chain.</li>
 *   <li>Safe to call concurrently with reads and writes; it never reads device data.</li>
 * </ul>
 */
public interface AllocationStatus {

    /** The run of bytes starting at {@code offset} with one status, at most {@code maxLength} long. */
    Extent extentAt(long offset, long maxLength);

    /**
     * {@code device}'s run at {@code offset}, at most {@code maxLength} long: its own answer, or
     * all {@link Extent.Kind#DATA} when it does not implement this interface.
     */
    static Extent of(BlockDevice device, long offset, long maxLength) {
        return device instanceof AllocationStatus status ? status.extentAt(offset, maxLength)
                : new Extent(offset, maxLength, Extent.Kind.DATA);
    }
}
