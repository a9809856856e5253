package io.amiforge.imagefmt.partition;

import io.amiforge.blockdev.AbstractBlockDevice;
import io.amiforge.blockdev.BlockDevice;
import java.lang.foreign.MemorySegment;

/**
 * A window {@code [start, start+length)} of another device. Range checks happen once in
 * {@link AbstractBlockDevice}; requests are then shifted and passed through, so they are
 * always inside the parent. Closing the view leaves the parent open.
 */
final class PartitionDevice extends AbstractBlockDevice {

    private final BlockDevice parent;
    private final long start;

    PartitionDevice(BlockDevice parent, int index, long start, long length) {
        super(parent.name() + " partition " + index, length, 512, parent.isReadOnly());
        this.parent = parent;
        this.start = start;
    }

    @Override
    protected void doRead(long offset, MemorySegment dst) {
        parent.read(start + offset, dst);
    }

    @Override
    protected void doWrite(long offset, MemorySegment src) {
        parent.write(start + offset, src);
    }

    @Override
    protected void doFlush() {
        parent.flush();
    }

    @Override
    protected void doDiscard(long offset, long length) {
        parent.discard(start + offset, length);
    }

    @Override
    protected void doClose() {
    }
}
