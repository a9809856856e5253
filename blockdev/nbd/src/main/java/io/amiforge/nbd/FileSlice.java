package io.amiforge.nbd;

import io.netty.channel.DefaultFileRegion;
import java.nio.channels.FileChannel;

/**
 * The data of a READ reply sent from the device's backing file with {@code sendfile} (page
 * cache to socket, no copy): bytes {@code [position, position+count)} of a file the device owns,
 * which is therefore never closed here. A {@link DefaultFileRegion}, so both transports send it
 * with {@code sendfile(2)}: the epoll transport natively, NIO through
 * {@link FileChannel#transferTo}. Its bytes count as held by the connection until the socket
 * has taken them (or the closed connection dropped them).
 *
 * <p>The bytes are read from the file when the socket takes them, after the reply header left;
 * a file that ends before the run does (shrunk under the device) fails the write, which closes
 * the connection: the client cannot be told in band any more.
 */
final class FileSlice extends DefaultFileRegion {

    private final NbdConnection connection;

    FileSlice(NbdConnection connection, FileChannel file, long position, long count) {
        super(file, position, count);
        this.connection = connection;
    }

    /** Not the file's close, which the super class would do: the device owns the file. */
    @Override
    protected void deallocate() {
        connection.released(count());
    }
}
