package io.amiforge.imagefmt.vhd;

import io.amiforge.blockdev.AbstractBlockDevice;
import io.amiforge.imagefmt.format.Zeros;
import io.amiforge.imagefmt.sparse.HostFile;
import java.lang.foreign.MemorySegment;

/** A fixed VHD as a device: the disk's bytes as they are, followed by the footer. */
final class VhdFixedDevice extends AbstractBlockDevice {

    private final HostFile file;

    VhdFixedDevice(HostFile file, long size, boolean readOnly) {
        super(file.name(), size, 512, readOnly);
        this.file = file;
    }

    @Override
    protected void doRead(long offset, MemorySegment dst) {
        file.read(offset, dst);
    }

    @Override
    protected void doWrite(long offset, MemorySegment src) {
        file.write(offset, src);
    }

    @Override
    protected void doFlush() {
        file.force();
    }

    @Override
    protected void doDiscard(long offset, long length) {
        for (long done = 0; done < length; done += Zeros.CHUNK) {
            file.write(offset + done, Zeros.SEGMENT.asSlice(0, Math.min(Zeros.CHUNK, length - done)));
        }
    }

    @Override
    protected void doClose() {
        file.close();
    }
}
