package io.amiforge.nbd;

import io.amiforge.blockdev.BlockDevice;
import io.netty.buffer.ByteBuf;
import io.netty.channel.FileRegion;
import io.netty.util.AbstractReferenceCounted;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * A READ reply's chunk header(s) and data, the data read from the device only as fast as the
 * socket takes it: the header bytes, then bytes {@code [offset, offset+length)} of the export,
 * staged together in the connection's small {@link Stage} and written from there (one send
 * for header and data, not two). A long read therefore costs no buffer of its own, and
 * the device's bytes are copied into memory that is still in the CPU's cache when the socket
 * copies them out (a pooled buffer per request in flight made nbdcopy's working set tens of MiB).
 *
 * <p>The device is read on the event loop, when the socket has room: a read failure after the
 * reply header left fails the write, which closes the connection, as the client cannot be told
 * in band any more. Its bytes count as held by the connection until the socket has taken them.
 */
final class DeviceRegion extends AbstractReferenceCounted implements FileRegion {

    private final NbdConnection connection;
    private final BlockDevice device;
    private final Stage stage;
    private final long offset;
    private final long count;
    /** The header bytes sent before the data; released once staged. */
    private ByteBuf head;
    private final int headLength;
    private long transferred;

    /** Takes over {@code head}. */
    DeviceRegion(NbdConnection connection, ByteBuf head, BlockDevice device, Stage stage, long offset, long length) {
        this.connection = connection;
        this.head = head;
        this.headLength = head.readableBytes();
        this.device = device;
        this.stage = stage;
        this.offset = offset;
        this.count = headLength + length;
    }

    @Override
    public long position() {
        return offset;
    }

    @Override
    @Deprecated
    public long transfered() {
        return transferred;
    }

    @Override
    public long transferred() {
        return transferred;
    }

    @Override
    public long count() {
        return count;
    }

    /** Writes staged bytes, refilling the stage from the device while the socket takes them all. */
    @Override
    public long transferTo(WritableByteChannel target, long position) throws IOException {
        long written = 0;
        while (transferred < count) {
            ByteBuffer staged = stage.holding(this);
            if (staged == null) {
                staged = stage.fill(this, head, device, offset + Math.max(0, transferred - headLength), count - transferred);
                if (head != null) {
                    head.release();
                    head = null;
                }
            }
            int n = target.write(staged);
            if (n <= 0) {
                break; // the socket is full: called again when it has room
            }
            transferred += n;
            written += n;
        }
        return written;
    }

    @Override
    public DeviceRegion retain() {
        super.retain();
        return this;
    }

    @Override
    public DeviceRegion retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public DeviceRegion touch() {
        return this;
    }

    @Override
    public DeviceRegion touch(Object hint) {
        return this;
    }

    @Override
    protected void deallocate() {
        if (head != null) {
            head.release();
            head = null;
        }
        stage.release(this);
        connection.released(count);
    }
}
