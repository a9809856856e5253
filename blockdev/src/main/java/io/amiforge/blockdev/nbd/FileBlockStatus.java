package io.amiforge.blockdev.nbd;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Allocation status of a sparse file from Linux {@code lseek(SEEK_DATA / SEEK_HOLE)} through
 * the FFM API: holes read as zeros ({@code HOLE|ZERO}), everything else is data. Holds its own
 * read-only descriptor of the file until {@link #close()}. {@link #open} returns null where
 * lseek is unavailable, and a file system that does not track holes reports all data.
 */
public final class FileBlockStatus implements BlockStatusSource, AutoCloseable {

    private static final int O_RDONLY = 0;
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;
    private static final int ENXIO = 6;

    private static final MethodHandle OPEN;
    private static final MethodHandle LSEEK;
    private static final MethodHandle CLOSE;
    private static final StructLayout CAPTURE;
    private static final VarHandle ERRNO;

    static {
        MethodHandle open = null;
        MethodHandle lseek = null;
        MethodHandle close = null;
        StructLayout capture = null;
        VarHandle errno = null;
        try {
            Linker linker = Linker.nativeLinker();
            var libc = linker.defaultLookup();
            capture = Linker.Option.captureStateLayout();
            errno = capture.varHandle(MemoryLayout.PathElement.groupElement("errno"));
            open = linker.downcallHandle(libc.find("open").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
                    Linker.Option.firstVariadicArg(2));
            lseek = linker.downcallHandle(libc.find("lseek").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_INT),
                    Linker.Option.captureCallState("errno"));
            close = linker.downcallHandle(libc.find("close").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        } catch (Throwable e) {
            open = null;
        }
        OPEN = open;
        LSEEK = lseek;
        CLOSE = close;
        CAPTURE = capture;
        ERRNO = errno;
    }

    private final Path path;
    private final int fd;
    private final MemorySegment state = Arena.ofAuto().allocate(CAPTURE == null ? 8 : CAPTURE.byteSize(), 8);
    private volatile boolean closed;

    private FileBlockStatus(Path path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    /** Opens {@code file} for status queries; null if lseek is not available or the file cannot be opened. */
    public static FileBlockStatus open(Path file) {
        if (OPEN == null) {
            return null;
        }
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(arena.allocateFrom(file.toAbsolutePath().toString()), O_RDONLY);
            return fd < 0 ? null : new FileBlockStatus(file, fd);
        } catch (Throwable e) {
            return null;
        }
    }

    @Override
    public synchronized List<Extent> status(long offset, long length, int maxExtents) {
        if (closed) {
            throw new IllegalStateException(path + ": block status source is closed");
        }
        long end = offset + length;
        List<Extent> out = new ArrayList<>();
        long pos = offset;
        while (pos < end && out.size() < maxExtents) {
            long data = seek(pos, SEEK_DATA);
            if (data < 0 || data >= end) { // no data up to the end of the range (ENXIO: none at all)
                out.add(new Extent(pos, end - pos, HOLE | ZERO));
                break;
            }
            if (data > pos) {
                out.add(new Extent(pos, data - pos, HOLE | ZERO));
                if (out.size() == maxExtents) {
                    break;
                }
            }
            long hole = seek(data, SEEK_HOLE);
            long dataEnd = hole < 0 ? end : Math.min(hole, end);
            if (dataEnd <= data) {
                dataEnd = end; // inconsistent answer (file changed under us): call the rest data
            }
            out.add(new Extent(data, dataEnd - data, 0));
            pos = dataEnd;
        }
        return out;
    }

    /** lseek; -1 means "no such data/hole" (ENXIO); other failures report everything as data. */
    private long seek(long offset, int whence) {
        long r;
        try {
            r = (long) LSEEK.invokeExact(state, fd, offset, whence);
        } catch (Throwable t) {
            throw new IllegalStateException(path + ": lseek failed: " + t, t);
        }
        if (r >= 0) {
            return r;
        }
        int errno = (int) ERRNO.get(state, 0L);
        if (errno == ENXIO) {
            return -1;
        }
        // EINVAL (whence unsupported) and the like: no hole information; treat as data to the end
        return whence == SEEK_DATA ? offset : Long.MAX_VALUE;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            try {
                int ignored = (int) CLOSE.invokeExact(fd);
            } catch (Throwable ignored) {
                // nothing left to release
            }
        }
    }
}
