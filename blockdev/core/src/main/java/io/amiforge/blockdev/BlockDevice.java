package io.amiforge.blockdev;

import java.lang.foreign.MemorySegment;

/**
 * A fixed-size random-access device addressed by absolute byte offsets: the one abstraction
 * every disk in amiforge speaks (files, snapshot-store volumes, qcow2 images, NBD exports, the
 * simulator's disk 0x80).
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li><b>Positional.</b> There is no cursor. {@link #read} fills all of {@code dst} from
 *       {@code offset}; {@link #write} stores all of {@code src} at {@code offset}. A transfer
 *       is complete when the call returns; there are no short reads or writes.</li>
 *   <li><b>Range.</b> Every byte of a request must lie inside {@code [0, size())}. A request
 *       that does not (including negative offsets and offset+length overflow) fails with
 *       {@link BlockDeviceException.OutOfRange} and transfers nothing. Offsets need not be
 *       aligned to {@link #blockSize()}; aligned requests are the fast path.</li>
 *   <li><b>Unwritten data</b> reads as zeros. So does a range after {@link #discard}.</li>
 *   <li><b>Durability, two levels.</b> A returned {@code write} is visible to every later
 *       {@code read} of this device and survives the process dying only if the device says
 *       so in {@link #durability()}; a returned {@link #flush()} means every write that
 *       returned before it survives the process being killed (kill -9) and, for
 *       file-backed devices, power loss as far as the OS's fsync promises.</li>
 *   <li><b>Concurrency.</b> Implementations are safe for concurrent calls on disjoint byte
 *       ranges. Concurrent writes to overlapping ranges leave each byte holding one of the
 *       written values; no stronger atomicity is promised.</li>
 *   <li><b>Closed.</b> Any call after {@link #close()} (other than {@code close} itself,
 *       which is idempotent) fails with {@link BlockDeviceException.Closed}.</li>
 *   <li><b>Read-only</b> devices fail {@code write} and {@code discard} with
 *       {@link BlockDeviceException.ReadOnly}.</li>
 * </ul>
 *
 * <p>A device that knows where its data is (holes, unwritten blocks) also implements
 * {@link AllocationStatus}; that interface, not this one, is the one way to ask.
 */
public interface BlockDevice extends AutoCloseable {

    /** Size in bytes; fixed for the life of the device. */
    long size();

    /** The logical block size in bytes (a power of two, 512 to 2 MiB): the natural unit of I/O. */
    int blockSize();

    /** Whether {@link #write} and {@link #discard} are refused. */
    boolean isReadOnly();

    /** Reads {@code dst.byteSize()} bytes starting at {@code offset} into {@code dst}. */
    void read(long offset, MemorySegment dst);

    /** Writes all of {@code src} starting at {@code offset}. */
    void write(long offset, MemorySegment src);

    /** Makes every write that returned before this call durable (see the class contract). */
    void flush();

    /**
     * Declares {@code [offset, offset+length)} unused: afterwards it reads as zeros and the
     * device may release the space. Both values must lie inside the device.
     */
    void discard(long offset, long length);

    /** What a returned write promises before {@link #flush()} is called. */
    default Durability durability() {
        return Durability.NONE_UNTIL_FLUSH;
    }

    /** A short human-readable name for messages ("volume web-root", "disk.qcow2"). */
    String name();

    /** Releases resources. Idempotent. Does not imply {@link #flush()}. */
    @Override
    void close();

    /** What a returned write promises before an explicit flush. */
    enum Durability {
        /** Writes may be lost if the process dies before {@link BlockDevice#flush()}. */
        NONE_UNTIL_FLUSH,
        /** Writes are in the OS page cache: they survive the process dying, not power loss. */
        PROCESS_CRASH_SAFE
    }
}
