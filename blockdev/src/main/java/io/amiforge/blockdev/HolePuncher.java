package io.amiforge.blockdev;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Releases file space with Linux {@code fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)}
 * through the FFM API. Where that is not available (another OS, a filesystem without hole
 * support) {@link #punch} returns false and callers write zeros instead.
 */
public final class HolePuncher {

    private static final int O_WRONLY = 1;
    private static final int FALLOC_FL_KEEP_SIZE = 1;
    private static final int FALLOC_FL_PUNCH_HOLE = 2;

    private static final MethodHandle OPEN;
    private static final MethodHandle FALLOCATE;
    private static final MethodHandle CLOSE;

    static {
        MethodHandle open = null;
        MethodHandle fallocate = null;
        MethodHandle close = null;
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            Optional<MemorySegment> o = libc.find("open");
            Optional<MemorySegment> f = libc.find("fallocate");
            Optional<MemorySegment> c = libc.find("close");
            if (o.isPresent() && f.isPresent() && c.isPresent()) {
                open = linker.downcallHandle(o.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_INT), Linker.Option.firstVariadicArg(2));
                fallocate = linker.downcallHandle(f.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
                close = linker.downcallHandle(c.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            }
        } catch (Throwable e) {
            open = null;
        }
        OPEN = open;
        FALLOCATE = fallocate;
        CLOSE = close;
    }

    private HolePuncher() {
    }

    /** Punches a hole over {@code [offset, offset+length)} of {@code file}; false if it could not. */
    public static boolean punch(Path file, long offset, long length) {
        if (OPEN == null || length <= 0) {
            return false;
        }
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(arena.allocateFrom(file.toAbsolutePath().toString()), O_WRONLY);
            if (fd < 0) {
                return false;
            }
            try {
                int rc = (int) FALLOCATE.invokeExact(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length);
                return rc == 0;
            } finally {
                int ignored = (int) CLOSE.invokeExact(fd);
            }
        } catch (Throwable e) {
            return false;
        }
    }
}
