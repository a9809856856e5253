package io.amiforge.nbd;

import io.amiforge.blockdev.BlockDevice;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * One connection's staging buffer for {@link DeviceRegion}s: device bytes read but not yet taken
 * by the socket. A connection sends its regions one after the other, so the stage belongs to at
 * most one region at a time, the one at the head of its outbound queue. Used on the event loop
 * only. {@value #SIZE} bytes, allocated at the first long read.
 */
final class Stage {

    /**
     * 256 KiB of data and room for the chunk headers in front: a read of 256 KiB (nbdcopy's
     * request size) is staged and sent in one piece, not as 256 KiB and then a last few bytes.
     */
    static final int SIZE = 256 * 1024 + 4096;

    private ByteBuffer buffer;
    private MemorySegment whole;
    private DeviceRegion owner;

    /** The staged bytes of {@code region} not yet written, or null if it has none staged. */
    ByteBuffer holding(DeviceRegion region) {
        return owner == region && buffer.hasRemaining() ? buffer : null;
    }

    /**
     * Stages for {@code region} all of {@code head} (null once it was staged) and then device
     * bytes from {@code at}, up to {@value #SIZE} bytes in all of the {@code left} still to send.
     */
    ByteBuffer fill(DeviceRegion region, ByteBuf head, BlockDevice device, long at, long left) throws IOException {
        if (buffer == null) {
            buffer = ByteBuffer.allocateDirect(SIZE);
            whole = MemorySegment.ofBuffer(buffer);
        }
        int n = (int) Math.min(SIZE, left);
        owner = region;
        buffer.clear().limit(n);
        int h = 0;
        if (head != null) {
            h = head.readableBytes();
            head.getBytes(head.readerIndex(), buffer.duplicate().limit(h));
        }
        long data = n - h;
        try {
            device.read(at, n == SIZE && h == 0 ? whole : whole.asSlice(h, data));
        } catch (RuntimeException e) {
            buffer.limit(0);
            throw new IOException("reading " + data + " bytes at offset " + at + " of " + device.name()
                    + " for an NBD read: " + e.getMessage(), e);
        }
        return buffer;
    }

    /** {@code region} is done (sent or dropped): its staged bytes, if any, are void. */
    void release(DeviceRegion region) {
        if (owner == region) {
            owner = null;
            if (buffer != null) {
                buffer.limit(0);
            }
        }
    }
}
