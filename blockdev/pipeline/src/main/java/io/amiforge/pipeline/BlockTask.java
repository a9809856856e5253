package io.amiforge.pipeline;

import io.amiforge.blockdev.BlockDevice;

/**
 * Work a front end runs on the pipeline's consumer thread, ordered after every request
 * submitted before it (for example an NBD block-status query or a hole-aware read). A task
 * that throws completes its request with that failure.
 */
@FunctionalInterface
public interface BlockTask {

    /** Runs against {@code device}; {@code request} carries the submitted offset, length, segment and attachment. */
    void run(BlockDevice device, BlockRequest request) throws Exception;
}
