package io.amiforge.store;

import io.amiforge.blockdev.AbstractBlockDevice;
import io.amiforge.blockdev.AllocationStatus;
import io.amiforge.blockdev.Extent;
import java.lang.foreign.MemorySegment;

/**
 * A handle on a volume of an open store; closing the last handle of a volume releases its lock.
 * Its allocation status is the store's map of the chain ({@link StoreAllocation}).
 */
final class StoreVolume extends AbstractBlockDevice implements Volume, AllocationStatus {

    private final VolumeState state;

    StoreVolume(VolumeState state) {
        super("volume " + state.rec.name, state.rec.size, state.blockSize, false);
        this.state = state;
    }

    @Override
    public String volumeName() {
        return state.rec.name;
    }

    @Override
    public VolumeStats stats() {
        return state.stats;
    }

    @Override
    public Durability durability() {
        return Durability.PROCESS_CRASH_SAFE;
    }

    private void live() {
        if (state.deleted) {
            throw new io.amiforge.blockdev.BlockDeviceException.Closed(name() + " (deleted)");
        }
        state.store.checkOpen();
    }

    @Override
    protected void doRead(long offset, MemorySegment dst) {
        live();
        var lock = state.store.readLock();
        lock.lock();
        try {
            BlockReads.read(state, state.blockSize, offset, dst);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Extent extentAt(long offset, long maxLength) {
        checkExtentQuery(offset, maxLength);
        live();
        var lock = state.store.readLock();
        lock.lock();
        try {
            return StoreAllocation.extentAt(state, state.blockSize, offset, maxLength);
        } finally {
            lock.unlock();
        }
    }

    @Override
    protected void doWrite(long offset, MemorySegment src) {
        live();
        state.store.journal.write(state, offset, src.byteSize(), src);
    }

    @Override
    protected void doFlush() {
        live();
        state.store.journal.flush();
    }

    @Override
    protected void doDiscard(long offset, long length) {
        live();
        int bs = state.blockSize;
        int shift = Integer.numberOfTrailingZeros(bs);
        long end = offset + length;
        long first = offset >>> shift;
        long last = (end - 1) >>> shift;
        long runStart = -1;
        for (long b = first; b <= last + 1; b++) {
            boolean allocated = b <= last && state.resolver.find(b) >= 0;
            if (allocated && runStart < 0) {
                runStart = b;
            } else if (!allocated && runStart >= 0) {
                long from = Math.max(offset, runStart << shift);
                long to = Math.min(end, b << shift);
                state.store.journal.write(state, from, to - from, null);
                runStart = -1;
            }
        }
    }

    @Override
    protected void doClose() {
        state.store.volumeClosed(state); // the last handle gives the volume's lock back
    }
}
