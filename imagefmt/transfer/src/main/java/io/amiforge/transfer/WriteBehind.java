package io.amiforge.transfer;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * Starts the write-back of ranges just written to a file through the page cache, at once
 * ({@code sync_file_range(SYNC_FILE_RANGE_WRITE)}, Linux), instead of leaving them dirty until
 * the final {@code fdatasync}: the disk then works while the writer produces the next data, and
 * the closing sync has little left to do. It is only a hint; durability still comes from that
 * sync (which also reports any write error). Where the call is unavailable (not Linux, no native
 * access) or the file cannot be opened, {@link #start} does nothing and answers false. Safe for
 * concurrent use (each call is one system call on a descriptor that lives until {@link #close}).
 */
@SuppressWarnings("restricted") // binding libc through FFM is this class's job; run with --enable-native-access
final class WriteBehind implements AutoCloseable {

    private static final int O_WRONLY = 1;
    private static final int O_CLOEXEC = 0x80000;
    private static final int SYNC_FILE_RANGE_WRITE = 2;

    private static final MethodHandle OPEN;
    private static final MethodHandle SYNC_FILE_RANGE;
    private static final MethodHandle CLOSE;

    static {
        MethodHandle open = null;
        MethodHandle syncFileRange = null;
        MethodHandle close = null;
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            open = linker.downcallHandle(libc.find("open").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_INT), Linker.Option.firstVariadicArg(2));
            syncFileRange = linker.downcallHandle(libc.find("sync_file_range").orElseThrow(), FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT));
            close = linker.downcallHandle(libc.find("close").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        } catch (Throwable e) {
            syncFileRange = null; // no libc, or native access denied: write-back starts when the kernel decides
        }
        OPEN = open;
        SYNC_FILE_RANGE = syncFileRange;
        CLOSE = close;
    }

    /** The descriptor the calls go through, or -1 (inactive). */
    private final int fd;
    private volatile boolean closed;

    private WriteBehind(int fd) {
        this.fd = fd;
    }

    /** Write-behind for {@code file} (which exists); inactive where it is unavailable. */
    static WriteBehind open(Path file) {
        if (SYNC_FILE_RANGE == null) {
            return new WriteBehind(-1);
        }
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(arena.allocateFrom(file.toAbsolutePath().toString()), O_WRONLY | O_CLOEXEC);
            return new WriteBehind(Math.max(fd, -1));
        } catch (Throwable e) {
            return new WriteBehind(-1);
        }
    }

    /** Whether {@link #start} reaches the kernel. */
    boolean active() {
        return fd >= 0;
    }

    /**
     * Starts writing back {@code [offset, offset + length)} (written just before through any
     * descriptor of the file) without waiting for it; whether the kernel accepted the request.
     */
    boolean start(long offset, long length) {
        if (fd < 0 || closed || length <= 0) {
            return false;
        }
        try {
            return (int) SYNC_FILE_RANGE.invokeExact(fd, offset, length, SYNC_FILE_RANGE_WRITE) == 0;
        } catch (Throwable e) {
            return false;
        }
    }

    @Override
    public synchronized void close() {
        if (fd >= 0 && !closed) {
            closed = true;
            try {
                int ignored = (int) CLOSE.invokeExact(fd);
            } catch (Throwable e) {
                // nothing was written through this descriptor: nothing is lost if close fails
            }
        }
    }
}
