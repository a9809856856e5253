package io.amiforge.examples.nbdexport;

import io.amiforge.blockdev.AbstractBlockDevice;
import io.amiforge.blockdev.AllocationStatus;
import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.blockdev.Extent;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A read-only device whose content is computed, not stored: the device is cut into stripes of
 * {@code stripe} bytes; even stripes hold data, odd stripes are holes that read as zeros. In a
 * data stripe every aligned 8-byte little-endian word holds its own device offset XOR
 * {@code seed}, so a byte that lands in the wrong place, or a hole served as data, is visible.
 *
 * <p>Extending {@link AbstractBlockDevice} means range, closed and read-only checks are done
 * once before {@link #doRead} is called; implementing {@link AllocationStatus} lets NBD
 * clients see the holes ({@code nbdinfo --map}, sparse copies) without reading them.
 */
public final class StripeDevice extends AbstractBlockDevice implements AllocationStatus {

    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final long stripe;
    private final long seed;

    /**
     * A device of {@code size} bytes with stripes of {@code stripe} bytes (a positive multiple
     * of 4096 that divides {@code size}).
     */
    public StripeDevice(String name, long size, long stripe, long seed) {
        super(name, size, 4096, true);
        if (stripe <= 0 || stripe % 4096 != 0 || size % stripe != 0) {
            throw new IllegalArgumentException(name + ": stripe " + stripe
                    + " must be a positive multiple of 4096 that divides the size " + size);
        }
        this.stripe = stripe;
        this.seed = seed;
    }

    /** The byte at {@code offset}, as {@link #read} returns it. */
    public byte byteAt(long offset) {
        if (isHole(offset)) {
            return 0;
        }
        long word = (offset & ~7L) ^ seed;
        return (byte) (word >>> (8 * (offset & 7)));
    }

    private boolean isHole(long offset) {
        return (offset / stripe & 1) == 1;
    }

    @Override
    protected void doRead(long offset, MemorySegment dst) {
        long end = offset + dst.byteSize();
        long pos = offset;
        // unaligned head and tail byte by byte; whole words in between
        while (pos < end && (pos & 7) != 0) {
            dst.set(ValueLayout.JAVA_BYTE, pos - offset, byteAt(pos));
            pos++;
        }
        while (end - pos >= 8) {
            long runEnd = Math.min(end, (pos / stripe + 1) * stripe) & ~7L;
            if (isHole(pos)) {
                dst.asSlice(pos - offset, runEnd - pos).fill((byte) 0);
            } else {
                for (long p = pos; p < runEnd; p += 8) {
                    dst.set(WORD, p - offset, p ^ seed);
                }
            }
            pos = runEnd;
        }
        while (pos < end) {
            dst.set(ValueLayout.JAVA_BYTE, pos - offset, byteAt(pos));
            pos++;
        }
    }

    @Override
    public Extent extentAt(long offset, long maxLength) {
        checkExtentQuery(offset, maxLength);
        long runEnd = Math.min(offset + maxLength, (offset / stripe + 1) * stripe);
        return new Extent(offset, runEnd - offset, isHole(offset) ? Extent.Kind.ZERO : Extent.Kind.DATA);
    }

    @Override
    protected void doWrite(long offset, MemorySegment src) {
        throw new BlockDeviceException.ReadOnly(name()); // unreachable: the device is read-only
    }

    @Override
    protected void doDiscard(long offset, long length) {
        throw new BlockDeviceException.ReadOnly(name()); // unreachable: the device is read-only
    }

    @Override
    protected void doFlush() {
        // nothing is ever written
    }

    @Override
    protected void doClose() {
        // nothing to release
    }
}
