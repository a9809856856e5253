package io.amiforge.transfer;

import io.amiforge.blockdev.NativeFile;
import java.nio.file.Path;

/**
 * Starts the write-back of ranges just written to a file through the page cache, at once
 * ({@link NativeFile#startWriteBack}: {@code sync_file_range(SYNC_FILE_RANGE_WRITE)}, Linux),
 * instead of leaving them dirty until the final {@code fdatasync}: the disk then works while the
 * writer produces the next data, and the closing sync has little left to do. It is only a hint;
 * durability still comes from that sync (which also reports any write error). Where the call is
 * unavailable (not Linux, no native access) or the file cannot be opened, {@link #start} does
 * nothing and answers false. Safe for concurrent use.
 *
 * <p>Nothing is opened until the first {@link #start}: an export whose writes all bypass the page
 * cache ({@code O_DIRECT}) never needs the descriptor, nor the downcall that
 * {@code NativeFile} binds at its first write-back (docs/cli-start.md).
 */
final class WriteBehind implements AutoCloseable {

    private final Path file;
    /** The descriptor the calls go through, once opened; null before the first {@link #start} or if it cannot be opened. */
    private NativeFile nativeFile;
    private boolean opened;
    private boolean closed;

    private WriteBehind(Path file) {
        this.file = file;
    }

    /** Write-behind for {@code file} (which exists when {@link #start} is first called); inactive where it is unavailable. */
    static WriteBehind open(Path file) {
        return new WriteBehind(file);
    }

    /** Whether {@link #start} can reach the kernel (opens the file, if that was not done yet). */
    boolean active() {
        return descriptor() != null;
    }

    /**
     * Starts writing back {@code [offset, offset + length)} (written just before through any
     * descriptor of the file) without waiting for it; whether the kernel accepted the request.
     */
    boolean start(long offset, long length) {
        NativeFile f = length <= 0 ? null : descriptor();
        return f != null && f.startWriteBack(offset, length);
    }

    /** The file's descriptor, opened on the first call; null when unavailable or closed. */
    private synchronized NativeFile descriptor() {
        if (!opened && !closed) {
            opened = true;
            nativeFile = NativeFile.open(file, true);
        }
        return closed ? null : nativeFile;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (nativeFile != null) {
            nativeFile.close(); // nothing was written through this descriptor: nothing is lost if close fails
        }
    }
}
