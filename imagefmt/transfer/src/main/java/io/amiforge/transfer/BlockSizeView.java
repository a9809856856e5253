package io.amiforge.transfer;

import io.amiforge.blockdev.AbstractBlockDevice;
import io.amiforge.blockdev.BlockDevice;
import java.lang.foreign.MemorySegment;

/**
 * The same bytes as another device, announcing another logical block size: how an importer
 * tells the snapshot store which block size a new base layer gets. Reads pass through; the
 * view is read-only and closing it leaves the device open.
 */
final class BlockSizeView extends AbstractBlockDevice {

    private final BlockDevice device;

    BlockSizeView(BlockDevice device, int blockSize) {
        super(device.name(), device.size(), blockSize, true);
        this.device = device;
    }

    @Override
    protected void doRead(long offset, MemorySegment dst) {
        device.read(offset, dst);
    }

    @Override
    protected void doWrite(long offset, MemorySegment src) {
        throw new AssertionError("read-only view"); // AbstractBlockDevice refuses writes first
    }

    @Override
    protected void doFlush() {
    }

    @Override
    protected void doDiscard(long offset, long length) {
        throw new AssertionError("read-only view");
    }

    @Override
    protected void doClose() {
    }
}
