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
 *
 * <p>Nothing is bound or opened until the first {@link #start}: an export whose writes all bypass
 * the page cache ({@code O_DIRECT}) never needs it, and binding {@code sync_file_range} made a
 * cold JVM generate a downcall stub and eight more hidden classes in every CLI export
 * (docs/cli-start.md; {@code open} and {@code close} share the stubs {@code NativeFile} binds).
 */
@SuppressWarnings("restricted") // binding libc through FFM is this class's job; run with --enable-native-access
final class WriteBehind implements AutoCloseable {

    private static final int O_WRONLY = 1;
    private static final int O_CLOEXEC = 0x80000;
    private static final int SYNC_FILE_RANGE_WRITE = 2;
    /** {@link #fd} before the first {@link #start}. */
    private static final int UNOPENED = -2;

    private final Path file;
    /** The descriptor the calls go through, -1 (inactive) or {@link #UNOPENED}. */
    private volatile int fd = UNOPENED;
    private volatile boolean closed;

    private WriteBehind(Path file) {
        this.file = file;
    }

    /** Write-behind for {@code file} (which exists when {@link #start} is first called); inactive where it is unavailable. */
    static WriteBehind open(Path file) {
        return new WriteBehind(file);
    }

    /** Whether {@link #start} reaches the kernel (binds and opens, if that was not done yet). */
    boolean active() {
        return descriptor() >= 0;
    }

    /**
     * Starts writing back {@code [offset, offset + length)} (written just before through any
     * descriptor of the file) without waiting for it; whether the kernel accepted the request.
     */
    boolean start(long offset, long length) {
        if (closed || length <= 0) {
            return false;
        }
        int d = descriptor();
        if (d < 0) {
            return false;
        }
        try {
            return (int) Libc.SYNC_FILE_RANGE.invokeExact(d, offset, length, SYNC_FILE_RANGE_WRITE) == 0;
        } catch (Throwable e) {
            return false;
        }
    }

    /** The descriptor, opened on the first call (-1 when unavailable or closed). */
    private int descriptor() {
        int d = fd;
        if (d != UNOPENED) {
            return d;
        }
        synchronized (this) {
            if (fd == UNOPENED) {
                fd = closed || Libc.SYNC_FILE_RANGE == null ? -1 : openFile();
            }
            return fd;
        }
    }

    private int openFile() {
        try (Arena arena = Arena.ofConfined()) {
            int d = (int) Libc.OPEN.invokeExact(arena.allocateFrom(file.toAbsolutePath().toString()), O_WRONLY | O_CLOEXEC);
            return Math.max(d, -1);
        } catch (Throwable e) {
            return -1;
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        int d = fd;
        fd = -1;
        if (d >= 0) {
            try {
                int ignored = (int) Libc.CLOSE.invokeExact(d);
            } catch (Throwable e) {
                // nothing was written through this descriptor: nothing is lost if close fails
            }
        }
    }

    /** The libc calls, bound on first use (class initialisation); all null where they cannot be. */
    private static final class Libc {

        static final MethodHandle OPEN;
        static final MethodHandle SYNC_FILE_RANGE;
        static final MethodHandle CLOSE;

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

        private Libc() {
        }
    }
}
