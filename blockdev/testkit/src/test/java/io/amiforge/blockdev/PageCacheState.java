package io.amiforge.blockdev;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * Test support: how many pages of a file range the page cache holds dirty or under write-back,
 * from Linux's {@code cachestat} system call (6.5 and later; x86-64 number 451). A test reads it
 * to see whether a device started the write-back of what it wrote.
 */
@SuppressWarnings("restricted")
final class PageCacheState {

    private static final long SYS_CACHESTAT = 451;
    private static final MethodHandle OPEN;
    private static final MethodHandle CLOSE;
    private static final MethodHandle SYSCALL;

    static {
        Linker linker = Linker.nativeLinker();
        var libc = linker.defaultLookup();
        OPEN = linker.downcallHandle(libc.find("open").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.JAVA_INT), Linker.Option.firstVariadicArg(2));
        CLOSE = linker.downcallHandle(libc.find("close").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        SYSCALL = linker.downcallHandle(libc.find("syscall").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                ValueLayout.JAVA_INT), Linker.Option.firstVariadicArg(1));
    }

    private PageCacheState() {
    }

    /** Pages of {@code [offset, offset+length)} of {@code file} that are dirty or being written back; -1 if unknown. */
    static long unwritten(Path file, long offset, long length) {
        if (!"amd64".equals(System.getProperty("os.arch")) || !"Linux".equals(System.getProperty("os.name"))) {
            return -1;
        }
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(arena.allocateFrom(file.toString()), 0);
            if (fd < 0) {
                return -1;
            }
            try {
                MemorySegment range = arena.allocate(16, 8);
                range.set(ValueLayout.JAVA_LONG, 0, offset);
                range.set(ValueLayout.JAVA_LONG, 8, length);
                MemorySegment stat = arena.allocate(40, 8); // nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted
                long result = (long) SYSCALL.invokeExact(SYS_CACHESTAT, fd, range, stat, 0);
                return result != 0 ? -1 : stat.get(ValueLayout.JAVA_LONG, 8) + stat.get(ValueLayout.JAVA_LONG, 16);
            } finally {
                int ignored = (int) CLOSE.invokeExact(fd);
            }
        } catch (Throwable e) {
            throw new AssertionError("cachestat", e);
        }
    }
}
