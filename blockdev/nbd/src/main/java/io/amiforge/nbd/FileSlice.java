package io.amiforge.nbd;

import io.netty.channel.FileRegion;
import io.netty.util.AbstractReferenceCounted;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;

/**
 * The data of a READ reply sent from the device's backing file with {@code sendfile} (page
 * cache to socket, no copy): bytes {@code [position, position+count)} of a file the device owns,
 * which is therefore never closed here. Pooled per connection: it goes back to its connection
 * when the socket has taken it (or the connection dropped it), and its bytes count as held by
 * the connection until then.
 *
 * <p>The bytes are read from the file when the socket takes them, after the reply header left;
 * a file that ends before the run does (shrunk under the device) fails the write, which closes
 * the connection: the client cannot be told in band any more.
 */
final class FileSlice extends AbstractReferenceCounted implements FileRegion {

    private final NbdConnection connection;
    private FileChannel file;
    private long position;
    private long count;
    private long transferred;

    FileSlice(NbdConnection connection) {
        this.connection = connection;
    }

    FileSlice init(FileChannel file, long position, long count) {
        setRefCnt(1);
        this.file = file;
        this.position = position;
        this.count = count;
        this.transferred = 0;
        return this;
    }

    @Override
    public long position() {
        return position;
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

    @Override
    public long transferTo(WritableByteChannel target, long at) throws IOException {
        long left = count - at;
        if (left <= 0) {
            return 0;
        }
        long n = file.transferTo(position + at, left, target);
        if (n > 0) {
            transferred += n;
        } else if (position + at >= file.size()) { // 0 also means the socket is full: only this is fatal
            throw new IOException("backing file ends at " + file.size() + ", before the read's end "
                    + (position + count) + " (file shrunk under the export)");
        }
        return n;
    }

    @Override
    public FileSlice retain() {
        super.retain();
        return this;
    }

    @Override
    public FileSlice retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public FileSlice touch() {
        return this;
    }

    @Override
    public FileSlice touch(Object hint) {
        return this;
    }

    @Override
    protected void deallocate() {
        file = null;
        connection.released(this);
    }
}
