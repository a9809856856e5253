package io.amiforge.nbd;

import io.amiforge.blockdev.AbstractBlockDevice;
import io.amiforge.blockdev.MemoryBlockDevice;
import java.lang.foreign.MemorySegment;

/**
 * A test device that reads and writes through to a {@link MemoryBlockDevice} after calling
 * {@link #beforeIo} (a stall, a failure), so the server meets a slow or broken disk.
 * Deliberately not an AllocationStatus (all data).
 */
abstract class HookedMemoryDevice extends AbstractBlockDevice {

    private final MemoryBlockDevice memory;

    HookedMemoryDevice(String name, MemoryBlockDevice memory) {
        super(name, memory.size(), memory.blockSize(), false);
        this.memory = memory;
    }

    /** Runs before each read ({@code write} false) or write of {@code offset}; may block or throw. */
    protected abstract void beforeIo(long offset, boolean write);

    @Override
    protected void doRead(long offset, MemorySegment dst) {
        beforeIo(offset, false);
        memory.read(offset, dst);
    }

    @Override
    protected void doWrite(long offset, MemorySegment src) {
        beforeIo(offset, true);
        memory.write(offset, src);
    }

    @Override
    protected void doFlush() {
    }

    @Override
    protected void doDiscard(long offset, long length) {
        memory.discard(offset, length);
    }

    @Override
    protected void doClose() {
        memory.close();
    }
}
