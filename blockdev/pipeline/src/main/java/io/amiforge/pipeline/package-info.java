/**
 * The block request pipeline: one LMAX Disruptor ring per device that every front end (the NBD
 * server, the simulator's INT 13h disk) submits block requests to.
 *
 * <p>Entry points: {@link io.amiforge.pipeline.RequestPipeline} (asynchronous submit,
 * completion by callback), {@link io.amiforge.pipeline.PipelinedBlockDevice} (the same
 * pipeline behind the synchronous {@link io.amiforge.blockdev.BlockDevice} contract).
 * Requests live in pre-allocated {@link io.amiforge.pipeline.BlockRequest} slots; a
 * single consumer executes them in submission order, merges runs of adjacent reads or writes,
 * and group-commits FUA writes with one flush per batch.
 */
package io.amiforge.pipeline;
