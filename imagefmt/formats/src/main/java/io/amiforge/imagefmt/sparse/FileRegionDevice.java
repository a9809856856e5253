package io.amiforge.imagefmt.sparse;

import io.amiforge.blockdev.AbstractBlockDevice;
import io.amiforge.blockdev.AllocationStatus;
import io.amiforge.blockdev.Extent;
import io.amiforge.blockdev.NativeFile;
import io.amiforge.imagefmt.format.LayerLayout;
import io.amiforge.imagefmt.format.Zeros;
import java.lang.foreign.MemorySegment;

/**
 * {@code size} guest bytes stored as they are from file offset {@code start} of an image file:
 * a fixed VHD (its footer follows), a VMDK FLAT extent. Holes in the file (found with
 * {@code SEEK_DATA}/{@code SEEK_HOLE}, never by reading) are reported as zeros, so copies skip
 * them; bytes past the end of the file read as zeros. As a {@link LayerLayout} it holds every
 * byte, each at its own offset from {@code start}, holes included.
 */
public final class FileRegionDevice extends AbstractBlockDevice implements AllocationStatus, LayerLayout {

    private final HostFile file;
    private final long start;
    private final NativeFile nativeFile;

    public FileRegionDevice(HostFile file, long start, long size, boolean readOnly) {
        super(file.name(), size, 512, readOnly);
        this.file = file;
        this.start = start;
        this.nativeFile = NativeFile.open(file.path(), false);
    }

    @Override
    protected void doRead(long offset, MemorySegment dst) {
        file.read(start + offset, dst);
    }

    @Override
    protected void doWrite(long offset, MemorySegment src) {
        file.write(start + offset, src);
    }

    @Override
    protected void doFlush() {
        file.force();
    }

    @Override
    protected void doDiscard(long offset, long length) {
        for (long done = 0; done < length; done += Zeros.CHUNK) {
            file.write(start + offset + done, Zeros.SEGMENT.asSlice(0, Math.min(Zeros.CHUNK, length - done)));
        }
    }

    @Override
    public Extent extentAt(long offset, long maxLength) {
        checkExtentQuery(offset, maxLength);
        long from = start + offset;
        long end = from + maxLength;
        if (nativeFile == null) {
            return new Extent(offset, maxLength, Extent.Kind.DATA);
        }
        long data = nativeFile.nextData(from);
        if (data < 0 || data >= end) {
            return new Extent(offset, maxLength, Extent.Kind.ZERO);
        }
        if (data > from) {
            return new Extent(offset, data - from, Extent.Kind.ZERO);
        }
        long hole = nativeFile.nextHole(from);
        long stop = hole <= from ? end : Math.min(hole, end);
        return new Extent(offset, stop - from, Extent.Kind.DATA);
    }

    @Override
    public Extent ownExtentAt(long offset, long maxLength) {
        return extentAt(offset, maxLength);
    }

    @Override
    public long hostOffset(long offset) {
        checkExtentQuery(offset, 1);
        return file.fileOffset(start + offset);
    }

    @Override
    public long hostRunLength(long offset, long maxLength) {
        checkExtentQuery(offset, maxLength);
        return maxLength;
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
