package io.amiforge.blockdev;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

/**
 * The few Linux file calls the JDK does not offer, through the FFM API, on a descriptor of its
 * own: {@code lseek} with {@code SEEK_DATA}/{@code SEEK_HOLE} (find holes without reading them),
 * {@code fallocate(PUNCH_HOLE|KEEP_SIZE)} (release space), {@code fstat}'s {@code st_blocks}
 * (the space a file occupies) and {@code sync_file_range(SYNC_FILE_RANGE_WRITE)} (start writing
 * back a range without waiting). Where they are unavailable
 * {@link #open} returns null, and callers treat the file as fully allocated and write zeros
 * instead of punching. One instance is safe for concurrent use.
 */
@SuppressWarnings("restricted") // binding libc through FFM is this class's job; run with --enable-native-access
public final class NativeFile implements AutoCloseable {

    private static final int O_RDONLY = 0;
    private static final int O_RDWR = 2;
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;
    private static final int ENXIO = 6;
    private static final int FALLOC_FL_KEEP_SIZE = 1;
    private static final int FALLOC_FL_PUNCH_HOLE = 2;
    private static final int SYNC_FILE_RANGE_WRITE = 2;

    private static final MethodHandle OPEN;
    private static final MethodHandle LSEEK;
    private static final MethodHandle FALLOCATE;
    private static final MethodHandle CLOSE;
    /** {@code int fstat(int, struct stat *)}, or null (then {@link #allocatedBytes} counts data extents). */
    private static final MethodHandle FSTAT;
    /** Where {@code st_blocks} (512-byte units) lies in {@code struct stat}: 64 on x86-64 and on arm64 alike. */
    private static final long ST_BLOCKS = 64;
    /** Larger than {@code struct stat} on every Linux ABI (144 bytes on x86-64). */
    private static final long STAT_BYTES = 256;
    private static final StructLayout CAPTURE;
    private static final VarHandle ERRNO;

    static {
        MethodHandle open = null;
        MethodHandle lseek = null;
        MethodHandle fallocate = null;
        MethodHandle close = null;
        MethodHandle fstat = null;
        StructLayout capture = null;
        VarHandle errno = null;
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            capture = Linker.Option.captureStateLayout();
            errno = capture.varHandle(MemoryLayout.PathElement.groupElement("errno"));
            open = linker.downcallHandle(libc.find("open").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_INT), Linker.Option.firstVariadicArg(2));
            lseek = linker.downcallHandle(libc.find("lseek").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT), Linker.Option.captureCallState("errno"));
            fallocate = linker.downcallHandle(libc.find("fallocate").orElseThrow(), FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG));
            close = linker.downcallHandle(libc.find("close").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            fstat = libc.find("fstat").map(f -> linker.downcallHandle(f,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS))).orElse(null);
        } catch (Throwable e) {
            open = null;
        }
        OPEN = open;
        LSEEK = lseek;
        FALLOCATE = fallocate;
        CLOSE = close;
        FSTAT = fstat;
        CAPTURE = capture;
        ERRNO = errno;
    }

    private final int fd;
    private final MemorySegment callState;
    private volatile boolean closed;

    private NativeFile(int fd) {
        this.fd = fd;
        this.callState = Arena.ofAuto().allocate(CAPTURE.byteSize(), 8);
    }

    /** Opens {@code path} (read-write if {@code writable}); null where native calls are unavailable or the open fails. */
    public static NativeFile open(Path path, boolean writable) {
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

    /**
     * The first offset at or after {@code offset} that holds data; -1 when there is none up to
     * the end of the file. Without hole information, {@code offset} itself (all data).
     */
    public long nextData(long offset) {
        return seek(offset, SEEK_DATA);
    }

    /**
     * The first offset at or after {@code offset} that is a hole (the end of the file counts as
     * one); -1 when {@code offset} is past the end. Without hole information, {@link Long#MAX_VALUE}.
     */
    public long nextHole(long offset) {
        return seek(offset, SEEK_HOLE);
    }

    /** {@code st_blocks} of the file (512-byte units), or -1 if {@code fstat} is unavailable or fails. */
    private synchronized long statBlocks() {
        if (FSTAT == null || closed) {
            return -1;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment stat = arena.allocate(STAT_BYTES, 8);
            int r = (int) FSTAT.invokeExact(fd, stat);
            return r == 0 ? stat.get(ValueLayout.JAVA_LONG, ST_BLOCKS) : -1;
        } catch (Throwable t) {
            return -1;
        }
    }

    private synchronized long seek(long offset, int whence) {
        if (closed) {
            throw new IllegalStateException("native file descriptor " + fd + " is closed");
        }
        long r;
        try {
            r = (long) LSEEK.invokeExact(callState, fd, offset, whence);
        } catch (Throwable t) {
            r = -2;
        }
        if (r >= 0) {
            return r;
        }
        if (r == -1 && (int) ERRNO.get(callState, 0L) == ENXIO) {
            return -1;
        }
        // EINVAL (the filesystem does not track holes) and the like: everything is data
        return whence == SEEK_DATA ? offset : Long.MAX_VALUE;
    }

    /**
     * Reserves disk blocks for {@code [offset, offset+length)} ({@code fallocate} mode 0: the file
     * grows to cover the range, which reads as zeros); false when the file system cannot.
     */
    public synchronized boolean allocate(long offset, long length) {
        if (closed || FALLOCATE == null) {
            return false;
        }
        try {
            return (int) FALLOCATE.invokeExact(fd, 0, offset, length) == 0;
        } catch (Throwable t) {
            return false;
        }
    }

    /** Punches a hole over {@code [offset, offset+length)} keeping the size; false if the filesystem refused. */
    public synchronized boolean punch(long offset, long length) {
        if (closed || length <= 0) {
            return false;
        }
        try {
            return (int) FALLOCATE.invokeExact(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length) == 0;
        } catch (Throwable e) {
            return false;
        }
    }

    /**
     * Starts writing back the dirty pages of {@code [offset, offset+length)} (written through any
     * descriptor of the file) and returns without waiting for them: a hint that lets the disk
     * work while the writer goes on, so that a later fsync has little left to do. Durability
     * still comes from that fsync, which also reports write errors. False when the call is
     * unavailable or was refused. Not synchronized: the call may wait for the device's queue, and
     * a concurrent {@link #close} at worst makes it a hint to another file or an error.
     */
    public boolean startWriteBack(long offset, long length) {
        if (closed || WriteBackCall.SYNC_FILE_RANGE == null || length <= 0) {
            return false;
        }
        try {
            return (int) WriteBackCall.SYNC_FILE_RANGE.invokeExact(fd, offset, length, SYNC_FILE_RANGE_WRITE) == 0;
        } catch (Throwable e) {
            return false;
        }
    }

    /**
     * {@code int sync_file_range(int, off64_t, off64_t, unsigned)}, bound at its first use (a
     * downcall stub costs a cold JVM milliseconds; a process that never writes never pays them);
     * null where it cannot be, and then {@link #startWriteBack} does nothing.
     */
    private static final class WriteBackCall {

        static final MethodHandle SYNC_FILE_RANGE;

        static {
            MethodHandle call = null;
            try {
                Linker linker = Linker.nativeLinker();
                call = linker.defaultLookup().find("sync_file_range").map(f -> linker.downcallHandle(f,
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                                ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT))).orElse(null);
            } catch (Throwable e) {
                call = null; // no native access: write-back starts when the kernel decides
            }
            SYNC_FILE_RANGE = call;
        }

        private WriteBackCall() {
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable e) {
            // a descriptor used only for metadata calls: nothing is lost if close fails
        }
    }

    /**
     * The space {@code path} occupies on disk (a file's "disk size", as qemu-img reports it:
     * {@code st_blocks} x 512, the file system's own metadata blocks for the file included);
     * without {@code fstat}, its data extents in whole 4 KiB blocks; {@code length} if unknown.
     */
    public static long allocatedBytes(Path path, long length) {
        try (NativeFile file = open(path, false)) {
            if (file == null) {
                return length;
            }
            long blocks = file.statBlocks();
            if (blocks >= 0) {
                return blocks * 512;
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
                // whole 4 KiB filesystem blocks, as st_blocks counts them (the tail block is whole too)
                total += ((hole + 4095) & -4096L) - (data & -4096L);
                pos = hole;
            }
            return total;
        }
    }
}
