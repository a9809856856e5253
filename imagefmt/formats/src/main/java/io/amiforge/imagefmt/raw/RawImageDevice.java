package io.amiforge.imagefmt.raw;

import io.amiforge.blockdev.AbstractBlockDevice;
import io.amiforge.blockdev.AllocationStatus;
import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.blockdev.Extent;
import io.amiforge.blockdev.FileBlockDevice;
import io.amiforge.blockdev.NativeFile;
import io.amiforge.imagefmt.format.PrescannedWrites;
import io.amiforge.imagefmt.format.Zeros;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * A raw image file as a device that keeps holes holes: a write of whole zero 4 KiB pages
 * punches a hole instead of storing zeros, and {@link #extentAt} reports holes (found with
 * {@code SEEK_HOLE}, never by reading) as {@link Extent.Kind#ZERO}. Plain I/O, fsync and
 * discard are those of the {@link FileBlockDevice} underneath.
 */
public final class RawImageDevice extends AbstractBlockDevice implements AllocationStatus, PrescannedWrites {

    private static final int PAGE = 4096;

    private final FileBlockDevice file;
    private final NativeFile nativeFile;

    RawImageDevice(FileBlockDevice file) {
        super(file.name(), file.size(), 512, file.isReadOnly());
        this.file = file;
        this.nativeFile = NativeFile.open(file.path(), !file.isReadOnly());
    }

    public Path path() {
        return file.path();
    }

    @Override
    public Durability durability() {
        return file.durability();
    }

    @Override
    protected void doRead(long offset, MemorySegment dst) {
        file.read(offset, dst);
    }

    @Override
    protected void doWrite(long offset, MemorySegment src) {
        long length = src.byteSize();
        if (nativeFile == null || length < PAGE) {
            file.write(offset, src);
            return;
        }
        // Split at page boundaries: runs of whole zero pages become holes, the rest is written.
        long dataStart = 0;
        long done = Math.min(length, (PAGE - (offset & (PAGE - 1))) & (PAGE - 1));
        while (done + PAGE <= length) {
            long zeroEnd = done;
            while (zeroEnd + PAGE <= length && Zeros.isZero(src.asSlice(zeroEnd, PAGE))) {
                zeroEnd += PAGE;
            }
            if (zeroEnd > done) {
                if (done > dataStart) {
                    file.write(offset + dataStart, src.asSlice(dataStart, done - dataStart));
                }
                if (!nativeFile.punch(offset + done, zeroEnd - done)) {
                    file.write(offset + done, src.asSlice(done, zeroEnd - done));
                }
                dataStart = zeroEnd;
                done = zeroEnd;
            } else {
                done += PAGE;
            }
        }
        if (length > dataStart) {
            file.write(offset + dataStart, src.asSlice(dataStart, length - dataStart));
        }
    }

    /**
     * Writes {@code src} as it is, without looking for zero pages: for callers that have
     * already skipped the zeros (image conversion), so the data is not scanned twice.
     */
    @Override
    public void writeData(long offset, MemorySegment src) {
        checkOpen();
        if (isReadOnly()) {
            throw new BlockDeviceException.ReadOnly(name());
        }
        file.write(offset, src);
    }

    @Override
    protected void doFlush() {
        file.flush();
    }

    @Override
    protected void doDiscard(long offset, long length) {
        file.discard(offset, length);
    }

    @Override
    public Extent extentAt(long offset, long maxLength) {
        checkOpen();
        return file.extentAt(offset, maxLength); // SEEK_DATA/SEEK_HOLE on the file underneath
    }

    @Override
    protected void doClose() {
        try {
            file.close();
        } finally {
            if (nativeFile != null) {
                nativeFile.close();
            }
        }
    }
}
