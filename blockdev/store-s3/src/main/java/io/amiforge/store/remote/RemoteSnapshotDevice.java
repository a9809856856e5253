package io.amiforge.store.remote;

import io.amiforge.blockdev.AbstractBlockDevice;
import io.amiforge.blockdev.BlockDeviceException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A read-only device of a remote snapshot's full contents: its chain of packed layers, newest
 * first; a block comes from the newest layer that holds it, zeros when none does. Reads are
 * lazy (only the chunks a read touches are fetched) and checked block by block.
 */
final class RemoteSnapshotDevice extends AbstractBlockDevice {

    private final RemoteLayer[] chain;
    private final int blockShift;
    private final ThreadLocal<MemorySegment> scratch;

    RemoteSnapshotDevice(String name, long size, int blockSize, RemoteLayer[] chain) {
        super(name, size, blockSize, true);
        this.chain = chain.clone();
        this.blockShift = Integer.numberOfTrailingZeros(blockSize);
        this.scratch = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(blockSize, 4096));
    }

    @Override
    protected void doRead(long offset, MemorySegment dst) {
        int blockSize = blockSize();
        long done = 0;
        long length = dst.byteSize();
        while (done < length) {
            long at = offset + done;
            long block = at >>> blockShift;
            int within = (int) (at & (blockSize - 1));
            long n = Math.min(blockSize - within, length - done);
            if (within == 0 && n == blockSize) {
                readBlock(block, dst.asSlice(done, blockSize));
            } else {
                MemorySegment tmp = scratch.get();
                readBlock(block, tmp);
                MemorySegment.copy(tmp, within, dst, done, n);
            }
            done += n;
        }
    }

    private void readBlock(long block, MemorySegment dst) {
        for (RemoteLayer layer : chain) {
            int entry = layer.find(block);
            if (entry >= 0) {
                layer.read(entry, dst);
                return;
            }
        }
        dst.fill((byte) 0);
    }

    @Override
    protected void doWrite(long offset, MemorySegment src) {
        throw new BlockDeviceException.ReadOnly(name());
    }

    @Override
    protected void doFlush() {
        // read-only: nothing to flush
    }

    @Override
    protected void doDiscard(long offset, long length) {
        throw new BlockDeviceException.ReadOnly(name());
    }

    @Override
    protected void doClose() {
        // the layers belong to the store; nothing is held per device
    }
}
