package io.amiforge.pipeline;

import java.lang.foreign.MemorySegment;

/**
 * One pre-allocated slot of the request ring. Front ends never create these: they call
 * {@link RequestPipeline#submit} and see the slot again, read-only, in their
 * {@link BlockCompletion}. A slot is reused as soon as its completion returns.
 */
public final class BlockRequest {

    /** Flag: the request must be durable before it completes (forced unit access). */
    public static final int FUA = 1;
    /** Flag for {@link BlockOp#WRITE_ZEROES}: write real zeros, do not punch a hole. */
    public static final int NO_HOLE = 2;

    BlockOp op;
    long offset;
    long length;
    MemorySegment segment;
    int flags;
    BlockCompletion completion;
    BlockTask task;
    Object attachment;
    long tag;

    BlockRequest() {
    }

    public BlockOp op() {
        return op;
    }

    public long offset() {
        return offset;
    }

    /** Bytes covered: the segment size for reads and writes, the range for the others. */
    public long length() {
        return length;
    }

    /** The data segment of a read or write (or a task's buffer); null for the others. */
    public MemorySegment segment() {
        return segment;
    }

    public int flags() {
        return flags;
    }

    /** The caller's object, handed back untouched. */
    public Object attachment() {
        return attachment;
    }

    /** The caller's number (an NBD cookie, a sector), handed back untouched. */
    public long tag() {
        return tag;
    }

    void clear() {
        segment = null;
        completion = null;
        task = null;
        attachment = null;
    }
}
