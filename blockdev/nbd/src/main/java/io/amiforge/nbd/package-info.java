/**
 * The NBD server: exports {@link io.amiforge.blockdev.BlockDevice}s over the Network Block
 * Device protocol (fixed newstyle negotiation, structured replies, {@code base:allocation}
 * block status) on Netty, with all device I/O going through the
 * {@link io.amiforge.pipeline.RequestPipeline}.
 *
 * <p>Entry points: {@link io.amiforge.nbd.NbdServer} (builder, start, close),
 * {@link io.amiforge.nbd.NbdExport} (a device under a name). Clients see a device's holes
 * when it implements {@link io.amiforge.blockdev.AllocationStatus}.
 */
package io.amiforge.nbd;
