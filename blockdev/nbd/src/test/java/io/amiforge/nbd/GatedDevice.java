package io.amiforge.nbd;

import io.amiforge.blockdev.MemoryBlockDevice;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A memory device whose I/O waits until the test opens the gate: a stand-in for a stalled
 * disk, so requests pile up in the server. Deliberately not an AllocationStatus (all data).
 */
final class GatedDevice extends HookedMemoryDevice {

    private final CountDownLatch gate = new CountDownLatch(1);
    private final CountDownLatch entered = new CountDownLatch(1);

    GatedDevice(long size) {
        super("gated", new MemoryBlockDevice("gated", size, 512));
    }

    void open() {
        gate.countDown();
    }

    /** Waits until some request has reached the device (and is held at the gate). */
    boolean awaitEntered() throws InterruptedException {
        return entered.await(20, TimeUnit.SECONDS);
    }

    @Override
    protected void beforeIo(long offset, boolean write) {
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
}
