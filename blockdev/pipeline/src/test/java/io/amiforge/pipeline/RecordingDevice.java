package io.amiforge.pipeline;

import io.amiforge.blockdev.AbstractBlockDevice;
import io.amiforge.blockdev.MemoryBlockDevice;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/** A memory device that logs every call ("W 0 4096", "F") and can hold its first call until released. */
final class RecordingDevice extends AbstractBlockDevice {
    final MemoryBlockDevice inner;
    final List<String> log = new CopyOnWriteArrayList<>();
    final CountDownLatch entered = new CountDownLatch(1);
    volatile CountDownLatch gate;

    RecordingDevice(long size) {
        super("recording", size, 512, false);
        inner = new MemoryBlockDevice("inner", size);
    }

    private void hold() {
        entered.countDown();
        CountDownLatch g = gate;
        if (g != null) {
            try {
                g.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    protected void doRead(long offset, MemorySegment dst) {
        hold();
        log.add("R " + offset + " " + dst.byteSize());
        inner.read(offset, dst);
    }

    @Override
    protected void doWrite(long offset, MemorySegment src) {
        hold();
        log.add("W " + offset + " " + src.byteSize());
        inner.write(offset, src);
    }

    @Override
    protected void doFlush() {
        hold();
        log.add("F");
    }

    @Override
    protected void doDiscard(long offset, long length) {
        hold();
        log.add("D " + offset + " " + length);
        inner.discard(offset, length);
    }

    @Override
    protected void doClose() {
        inner.close();
    }
}
