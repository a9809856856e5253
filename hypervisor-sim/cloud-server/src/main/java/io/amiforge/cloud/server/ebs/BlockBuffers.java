package io.amiforge.cloud.server.ebs;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * Direct buffers of one EBS direct block for GetSnapshotBlock: a block is read straight into
 * one and sent from it, and the buffer comes back here once the answer is written, so a Get
 * allocates (and zeroes) no 512 KiB buffer of its own. At most {@link #KEPT} idle buffers are
 * kept; more Gets in flight than that allocate, and their buffers are dropped on return.
 */
final class BlockBuffers {

    static final int KEPT = 32;

    private final ArrayBlockingQueue<ByteBuffer> idle = new ArrayBlockingQueue<>(KEPT);
    private final int size;

    BlockBuffers(int size) {
        this.size = size;
    }

    /** An idle buffer, or a new one: position 0, limit its capacity. */
    ByteBuffer take() {
        ByteBuffer b = idle.poll();
        return b != null ? b.clear() : ByteBuffer.allocateDirect(size);
    }

    /** Gives {@code buffer} back; nothing may use it afterwards. */
    void give(ByteBuffer buffer) {
        idle.offer(buffer);
    }
}
