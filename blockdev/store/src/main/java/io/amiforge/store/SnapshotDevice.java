package io.amiforge.store;

import io.amiforge.blockdev.AbstractBlockDevice;
import io.amiforge.blockdev.AllocationStatus;
import io.amiforge.blockdev.Extent;
import io.amiforge.store.spi.ReadIndex;
import io.amiforge.store.strategy.FlatIndex;
import java.lang.foreign.MemorySegment;

/**
 * A read-only device over one snapshot's full contents (its layer and every layer under it),
 * resolved through a flat index. Valid while the snapshots of its chain exist. Its allocation
 * status is the store's map of that chain ({@link StoreAllocation}).
 */
final class SnapshotDevice extends AbstractBlockDevice implements BlockReads.Source, AllocationStatus {

    private final SnapshotStore store;
    private final ReadIndex.Resolver resolver;
    private final String snapshotId;
    private final Stack stack;

    SnapshotDevice(SnapshotStore store, String snapshotId, long size, int blockSize, Stack stack) {
        super("snapshot " + snapshotId, size, blockSize, true);
        this.store = store;
        this.snapshotId = snapshotId;
        this.stack = stack;
        this.resolver = new FlatIndex().build(stack);
    }

    /** The layers this device reads through (kept open while it is: see {@link ChainResolver#replaced}). */
    Stack stack() {
        return stack;
    }

    @Override
    public ReadIndex.Resolver resolver() {
        return resolver;
    }

    @Override
    public String describe(Stack stack, int ordinal) {
        return "snapshot " + stack.owners[ordinal];
    }

    @Override
    public VolumeStats stats() {
        return null;
    }

    @Override
    protected void doRead(long offset, MemorySegment dst) {
        store.checkOpen();
        var lock = store.readLock();
        lock.lock();
        try {
            BlockReads.read(this, blockSize(), offset, dst);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Extent extentAt(long offset, long maxLength) {
        checkExtentQuery(offset, maxLength);
        store.checkOpen();
        var lock = store.readLock();
        lock.lock();
        try {
            return StoreAllocation.extentAt(this, blockSize(), offset, maxLength);
        } finally {
            lock.unlock();
        }
    }

    @Override
    protected void doWrite(long offset, MemorySegment src) {
        throw new IllegalStateException("read-only");
    }

    @Override
    protected void doFlush() {
    }

    @Override
    protected void doDiscard(long offset, long length) {
        throw new IllegalStateException("read-only");
    }

    @Override
    protected void doClose() {
        store.snapshotDeviceClosed(this);
    }

    String snapshotId() {
        return snapshotId;
    }
}
