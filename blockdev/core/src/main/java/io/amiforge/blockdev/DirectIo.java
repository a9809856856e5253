package io.amiforge.blockdev;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes that bypass the page cache ({@code O_DIRECT}), for bulk output the process will not
 * read back soon (an export, an import's layer data): no copy into the page cache and little
 * left for the final fsync. Where the file system refuses direct I/O (tmpfs) or the JDK lacks
 * it, {@link #openForWrite} answers null and the caller writes through the page cache. A direct
 * write must start on a {@link #ALIGNMENT} boundary of the file, be a multiple of it long and
 * come from memory aligned the same way ({@link #aligned}).
 */
public final class DirectIo {

    /** The alignment of offsets, lengths and buffer addresses of a direct write. */
    public static final int ALIGNMENT = 4096;

    /**
     * The JDK's option ({@code com.sun.nio.file.ExtendedOpenOption.DIRECT}, module
     * {@code jdk.unsupported}), looked up by name so that the build's no-warnings rule holds.
     */
    private static final OpenOption DIRECT = lookUp();

    private DirectIo() {
    }

    private static OpenOption lookUp() {
        try {
            return (OpenOption) Class.forName("com.sun.nio.file.ExtendedOpenOption").getField("DIRECT").get(null);
        } catch (ReflectiveOperationException | ClassCastException e) {
            return null;
        }
    }

    /** {@code file} (existing) opened for direct writes, or null where direct I/O is not available. */
    public static FileChannel openForWrite(Path file) {
        if (DIRECT == null) {
            return null;
        }
        try {
            return FileChannel.open(file, StandardOpenOption.WRITE, DIRECT);
        } catch (IOException | UnsupportedOperationException e) {
            return null; // tmpfs and others: the page cache it is
        }
    }

    /** Whether {@code buffer}'s remaining bytes may be written directly at file offset {@code position}. */
    public static boolean aligned(long position, ByteBuffer buffer) {
        return buffer.isDirect() && ((position | buffer.remaining()) & (ALIGNMENT - 1)) == 0
                && (MemorySegment.ofBuffer(buffer).address() & (ALIGNMENT - 1)) == 0;
    }
}
