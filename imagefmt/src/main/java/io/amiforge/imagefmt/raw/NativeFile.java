package io.amiforge.imagefmt.raw;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * The few Linux file calls the JDK does not offer, through the FFM API: {@code lseek} with
 * {@code SEEK_DATA}/{@code SEEK_HOLE} (to find holes without reading them) and
 * {@code fallocate(PUNCH_HOLE)} (to make zeros holes again). Where they are unavailable
 * {@link #open} returns null and callers treat the file as fully allocated.
 */
final class NativeFile implements AutoCloseable {

    private static final int O_RDONLY = 0;
    private static final int O_RDWR = 2;
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;
    private static final int FALLOC_FL_KEEP_SIZE = 1;
    private static final int FALLOC_FL_PUNCH_HOLE = 2;

    private static final MethodHandle OPEN;
    private static final MethodHandle LSEEK;
    private static final MethodHandle FALLOCATE;
    private static final MethodHandle CLOSE;

    static {
        MethodHandle open = null;
        MethodHandle lseek = null;
        MethodHandle fallocate = null;
        MethodHandle close = null;
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            open = linker.downcallHandle(libc.find("open").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_INT), Linker.Option.firstVariadicArg(2));
            lseek = linker.downcallHandle(libc.find("lseek").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
            fallocate = linker.downcallHandle(libc.find("fallocate").orElseThrow(), FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG));
            close = linker.downcallHandle(libc.find("close").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        } catch (Throwable e) {
            open = null;
        }
        OPEN = open;
        LSEEK = lseek;
        FALLOCATE = fallocate;
        CLOSE = close;
    }

    private final int fd;

    private NativeFile(int fd) {
        this.fd = fd;
    }

    /** Opens {@code path}; null where native calls are unavailable or the open fails. */
    static NativeFile open(Path path, boolean writable) {
        if (OPEN == null) {
            return null;
        }
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(arena.allocateFrom(path.toAbsolutePath().toString()),
                    writable ? O_RDWR : O_RDONLY);
            return fd < 0 ? null : new NativeFile(fd);
        } catch (Throwable e) {
            return null;
        }
    }

    /** The first offset at or after {@code offset} that holds data, or -1 if none (or unknown: then {@code offset}). */
    long nextData(long offset) {
        return seek(offset, SEEK_DATA);
    }

    /** The first offset at or after {@code offset} that is a hole (the file end counts as one). */
    long nextHole(long offset) {
        return seek(offset, SEEK_HOLE);
    }

    private long seek(long offset, int whence) {
        try {
            return (long) LSEEK.invokeExact(fd, offset, whence);
        } catch (Throwable e) {
            return whence == SEEK_DATA ? offset : Long.MAX_VALUE;
        }
    }

    /** Punches a hole over {@code [offset, offset+length)}; false if the filesystem refused. */
    boolean punch(long offset, long length) {
        try {
            return (int) FALLOCATE.invokeExact(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length) == 0;
        } catch (Throwable e) {
            return false;
        }
    }

    @Override
    public void close() {
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable e) {
            // nothing more to do for a descriptor we only read metadata through
        }
    }

    /** Bytes of {@code path} in allocated 4 KiB blocks (a file's "disk size"); its length if unknown. */
    static long allocatedBytes(Path path, long length) {
        try (NativeFile file = open(path, false)) {
            if (file == null) {
                return length;
            }
            long total = 0;
            long pos = 0;
            while (pos < length) {
                long data = file.nextData(pos);
                if (data < 0 || data >= length) {
                    break;
                }
                long hole = Math.min(file.nextHole(data), length);
                if (hole <= data) {
                    return length;
                }
                // Whole 4 KiB filesystem blocks, as st_blocks counts them (the tail block is whole too).
                total += ((hole + 4095) & -4096L) - (data & -4096L);
                pos = hole;
            }
            return total;
        }
    }
}
