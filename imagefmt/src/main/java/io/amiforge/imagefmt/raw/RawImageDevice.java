package io.amiforge.imagefmt.raw;

import io.amiforge.blockdev.NativeFile;
import io.amiforge.blockdev.AbstractBlockDevice;
import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.imagefmt.format.AllocationStatus;
import io.amiforge.imagefmt.format.Extent;
import io.amiforge.imagefmt.format.Zeros;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * A raw image file as a device that keeps holes holes: a write of whole zero 4 KiB pages
 * punches a hole instead of storing zeros, and {@link #extentAt} reports holes (found with
 * {@code SEEK_HOLE}, never by reading) as {@link Extent.Kind#ZERO}. Reads past the end of a
 * file that shrank read as zeros.
 */
public final class RawImageDevice extends AbstractBlockDevice implements AllocationStatus {

    private static final int PAGE = 4096;

    private final Path path;
    private final FileChannel channel;
    private final NativeFile nativeFile;

    RawImageDevice(Path path, FileChannel channel, long size, boolean readOnly) {
        super(path.getFileName() == null ? path.toString() : path.getFileName().toString(), size, 512, readOnly);
        this.path = path;
        this.channel = channel;
        this.nativeFile = NativeFile.open(path, !readOnly);
    }

    public Path path() {
        return path;
    }

    @Override
    public Durability durability() {
        return Durability.PROCESS_CRASH_SAFE;
    }

    @Override
    protected void doRead(long offset, MemorySegment dst) {
        ByteBuffer buffer = dst.asByteBuffer();
        try {
            while (buffer.hasRemaining()) {
                int n = channel.read(buffer, offset + buffer.position());
                if (n < 0) {
                    dst.asSlice(buffer.position()).fill((byte) 0);
                    return;
                }
            }
        } catch (IOException e) {
            throw new BlockDeviceException.Io(name(), "read at offset " + offset, e);
        }
    }

    @Override
    protected void doWrite(long offset, MemorySegment src) {
        long length = src.byteSize();
        if (nativeFile == null || length < PAGE) {
            writeBytes(offset, src);
            return;
        }
        // Split at page boundaries: runs of whole zero pages become holes, the rest is written.
        long done = 0;
        long dataStart = 0;
        long firstPage = Math.min(length, (PAGE - (offset & (PAGE - 1))) & (PAGE - 1));
        done = firstPage;
        while (done + PAGE <= length) {
            long zeroEnd = done;
            while (zeroEnd + PAGE <= length && Zeros.isZero(src.asSlice(zeroEnd, PAGE))) {
                zeroEnd += PAGE;
            }
            if (zeroEnd > done) {
                if (done > dataStart) {
                    writeBytes(offset + dataStart, src.asSlice(dataStart, done - dataStart));
                }
                if (!nativeFile.punch(offset + done, zeroEnd - done)) {
                    writeBytes(offset + done, src.asSlice(done, zeroEnd - done));
                }
                dataStart = zeroEnd;
                done = zeroEnd;
            } else {
                done += PAGE;
            }
        }
        if (length > dataStart) {
            writeBytes(offset + dataStart, src.asSlice(dataStart, length - dataStart));
        }
    }

    /**
     * Writes {@code src} as it is, without looking for zero pages: for callers that have
     * already skipped the zeros (image conversion), so the data is not scanned twice.
     */
    public void writeData(long offset, MemorySegment src) {
        checkOpen();
        if (isReadOnly()) {
            throw new BlockDeviceException.ReadOnly(name());
        }
        checkRange(offset, src.byteSize());
        writeBytes(offset, src);
    }

    private void writeBytes(long offset, MemorySegment src) {
        ByteBuffer buffer = src.asByteBuffer();
        try {
            while (buffer.hasRemaining()) {
                channel.write(buffer, offset + buffer.position());
            }
        } catch (IOException e) {
            throw new BlockDeviceException.Io(name(), "write at offset " + offset, e);
        }
    }

    @Override
    protected void doFlush() {
        try {
            channel.force(false);
        } catch (IOException e) {
            throw new BlockDeviceException.Io(name(), "fsync", e);
        }
    }

    @Override
    protected void doDiscard(long offset, long length) {
        long pageStart = (offset + PAGE - 1) & -PAGE;
        long pageEnd = (offset + length) & -PAGE;
        if (nativeFile != null && pageEnd > pageStart && nativeFile.punch(pageStart, pageEnd - pageStart)) {
            writeZeros(offset, pageStart - offset);
            writeZeros(pageEnd, offset + length - pageEnd);
        } else {
            writeZeros(offset, length);
        }
    }

    private void writeZeros(long offset, long length) {
        long done = 0;
        while (done < length) {
            long n = Math.min(Zeros.CHUNK, length - done);
            writeBytes(offset + done, Zeros.SEGMENT.asSlice(0, n));
            done += n;
        }
    }

    @Override
    public Extent extentAt(long offset, long maxLength) {
        checkOpen();
        checkRange(offset, maxLength);
        long end = offset + maxLength;
        if (nativeFile == null) {
            return new Extent(offset, maxLength, Extent.Kind.DATA);
        }
        long data = nativeFile.nextData(offset);
        if (data < 0 || data >= end) { // a hole (or past the file's end) up to the end of the request
            return new Extent(offset, maxLength, Extent.Kind.ZERO);
        }
        if (data > offset) {
            return new Extent(offset, data - offset, Extent.Kind.ZERO);
        }
        long hole = nativeFile.nextHole(offset);
        long stop = hole <= offset ? end : Math.min(hole, end);
        return new Extent(offset, stop - offset, Extent.Kind.DATA);
    }

    @Override
    protected void doClose() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new BlockDeviceException.Io(name(), "close", e);
        } finally {
            if (nativeFile != null) {
                nativeFile.close();
            }
        }
    }
}
