package io.amiforge.nbd;

import io.amiforge.blockdev.AbstractBlockDevice;
import io.amiforge.blockdev.MemoryBlockDevice;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A memory device whose I/O waits until the test opens the gate: a stand-in for a stalled
 * disk, so requests pile up in the server. Deliberately not an AllocationStatus (all data).
 */
final class GatedDevice extends AbstractBlockDevice {

    private final MemoryBlockDevice memory;
    private final CountDownLatch gate = new CountDownLatch(1);
    private final CountDownLatch entered = new CountDownLatch(1);

    GatedDevice(long size) {
        super("gated", size, 512, false);
        memory = new MemoryBlockDevice("gated", size);
    }

    void open() {
        gate.countDown();
    }

    /** Waits until some request has reached the device (and is held at the gate). */
    boolean awaitEntered() throws InterruptedException {
        return entered.await(20, TimeUnit.SECONDS);
    }

    private void pass() {
        entered.countDown();
        try {
            if (!gate.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("gate never opened");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected void doRead(long offset, MemorySegment dst) {
        pass();
        memory.read(offset, dst);
    }

    @Override
    protected void doWrite(long offset, MemorySegment src) {
        pass();
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
