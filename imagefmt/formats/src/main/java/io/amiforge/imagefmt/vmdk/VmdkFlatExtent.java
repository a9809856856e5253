package io.amiforge.imagefmt.vmdk;

import io.amiforge.blockdev.AbstractBlockDevice;
import io.amiforge.imagefmt.format.Zeros;
import io.amiforge.imagefmt.sparse.HostFile;
import java.lang.foreign.MemorySegment;

/** A FLAT (or VMFS) extent: {@code size} guest bytes stored as they are from {@code start} of a file. */
final class VmdkFlatExtent extends AbstractBlockDevice {

    private final HostFile file;
    private final long start;

    VmdkFlatExtent(HostFile file, long start, long size, boolean readOnly) {
        super(file.name(), size, 512, readOnly);
        this.file = file;
        this.start = start;
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
    protected void doClose() {
        file.close();
    }
}
