package io.amiforge.pipeline;

/** What a {@link BlockRequest} asks the device to do. */
public enum BlockOp {
    /** Fill the request's segment from the device at its offset. */
    READ,
    /** Store the request's segment on the device at its offset. */
    WRITE,
    /** Make every write completed before this request durable ({@code BlockDevice.flush()}). */
    FLUSH,
    /** Release {@code [offset, offset+length)}; it reads as zeros afterwards. */
    DISCARD,
    /**
     * Make {@code [offset, offset+length)} read as zeros: a discard, unless
     * {@link BlockRequest#NO_HOLE} is set, in which case zeros are written.
     */
    WRITE_ZEROES,
    /** Run the request's {@link BlockTask} on the consumer thread, in order with the other requests. */
    TASK
}
