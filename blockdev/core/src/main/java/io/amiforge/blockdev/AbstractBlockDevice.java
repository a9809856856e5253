package io.amiforge.blockdev;

import java.lang.foreign.MemorySegment;

/**
 * Checks every request once at the public edge (range, closed, read-only), then calls the
 * unchecked {@code do*} methods, which only ever see valid, in-range requests.
 */
public abstract class AbstractBlockDevice implements BlockDevice {

    private final String name;
    private final long size;
    private final int blockSize;
    private final boolean readOnly;
    private volatile boolean closed;

    protected AbstractBlockDevice(String name, long size, int blockSize, boolean readOnly) {
        if (size < 0) {
            throw new IllegalArgumentException(name + ": negative size " + size);
        }
        if (blockSize < 512 || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException(name + ": block size " + blockSize + " is not a power of two >= 512");
        }
        this.name = name;
        this.size = size;
        this.blockSize = blockSize;
        this.readOnly = readOnly;
    }

    @Override public final long size() { return size; }
    @Override public final int blockSize() { return blockSize; }
    @Override public final boolean isReadOnly() { return readOnly; }
    @Override public final String name() { return name; }

    /** Fails unless {@code [offset, offset+length)} lies inside the device. */
    protected final void checkRange(long offset, long length) {
        if (offset < 0 || length < 0 || offset > size - length) {
            throw new BlockDeviceException.OutOfRange(name, offset, length, size);
        }
    }

    /** Fails unless the device is open and {@code [offset, offset+length)} is a non-empty range inside it. */
    protected final void checkExtentQuery(long offset, long length) {
        checkOpen();
        if (length < 1) {
            throw new BlockDeviceException.OutOfRange(name, offset, length, size);
        }
        checkRange(offset, length);
    }

    protected final void checkOpen() {
        if (closed) {
            throw new BlockDeviceException.Closed(name);
        }
    }

    private void checkWritable() {
        if (readOnly) {
            throw new BlockDeviceException.ReadOnly(name);
        }
    }

    @Override
    public final void read(long offset, MemorySegment dst) {
        checkOpen();
        checkRange(offset, dst.byteSize());
        if (dst.byteSize() != 0) {
            doRead(offset, dst);
        }
    }

    @Override
    public final void write(long offset, MemorySegment src) {
        checkOpen();
        checkWritable();
        checkRange(offset, src.byteSize());
        if (src.byteSize() != 0) {
            doWrite(offset, src);
        }
    }

    @Override
    public final void flush() {
        checkOpen();
        doFlush();
    }

    @Override
    public final void discard(long offset, long length) {
        checkOpen();
        checkWritable();
        checkRange(offset, length);
        if (length != 0) {
            doDiscard(offset, length);
        }
    }

    @Override
    public final void close() {
        if (!closed) {
            closed = true;
            doClose();
        }
    }

    protected final boolean isClosed() {
        return closed;
    }

    /** Unchecked read: {@code [offset, offset+dst.byteSize())} is inside the device and non-empty. */
    protected abstract void doRead(long offset, MemorySegment dst);

    /** Unchecked write: the range is inside the device, non-empty, and the device is writable. */
    protected abstract void doWrite(long offset, MemorySegment src);

    protected abstract void doFlush();

    /** Unchecked discard: the range is inside the device, non-empty, and the device is writable. */
    protected abstract void doDiscard(long offset, long length);

    protected abstract void doClose();

    @Override
    public String toString() {
        return name + " (" + size + " bytes)";
    }
}
