package io.amiforge.nbd;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.FileBlockDevice;
import io.amiforge.blockdev.MemoryBlockDevice;
import java.util.List;

/**
 * Optional allocation information about a device, served to NBD clients as the
 * {@code base:allocation} metadata context and used to send holes in structured reads.
 * A device that is neither this nor has a known source ({@link #forDevice}) reports all data.
 *
 * <p>Contract: {@link #status} returns consecutive extents starting exactly at {@code offset},
 * each of positive length, together covering a non-empty prefix of
 * {@code [offset, offset+length)} (never more); callers ask again for the rest. It is called
 * only with ranges inside the device, on the request pipeline's consumer thread, so it sees
 * every write that completed before it.
 */
public interface BlockStatusSource {

    /** Flag: the extent is not allocated (NBD_STATE_HOLE). */
    int HOLE = 1;
    /** Flag: the extent reads as zeros (NBD_STATE_ZERO). */
    int ZERO = 2;

    /** One run of bytes with the same allocation state. */
    record Extent(long offset, long length, int flags) {
        public Extent {
            if (length <= 0) {
                throw new IllegalArgumentException("extent at " + offset + " has length " + length);
            }
        }

        public boolean isHole() {
            return (flags & HOLE) != 0;
        }

        public boolean isZero() {
            return (flags & ZERO) != 0;
        }
    }

    /** Describes a prefix of {@code [offset, offset+length)} as at most {@code maxExtents} extents. */
    List<Extent> status(long offset, long length, int maxExtents);

    /**
     * The allocation source for {@code device}: the device itself when it implements this
     * interface, SEEK_DATA/SEEK_HOLE for a {@link FileBlockDevice}, a zero scan for a
     * {@link MemoryBlockDevice}; null (all data) for anything else.
     */
    static BlockStatusSource forDevice(BlockDevice device) {
        return switch (device) {
            case BlockStatusSource s -> s;
            case FileBlockDevice f -> FileBlockStatus.open(f.path());
            case MemoryBlockDevice m -> new ZeroScanBlockStatus(m);
            default -> null;
        };
    }
}
