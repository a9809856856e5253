/**
 * The block-device abstraction every other amiforge module speaks.
 *
 * <p>Entry points: {@link io.amiforge.blockdev.BlockDevice} (the contract),
 * {@link io.amiforge.blockdev.AbstractBlockDevice} (checks requests once, so implementations
 * see only valid ones), and the two basic backends {@link io.amiforge.blockdev.MemoryBlockDevice}
 * and {@link io.amiforge.blockdev.FileBlockDevice}. The snapshot store lives in
 * {@code io.amiforge.store}, the NBD server in {@code io.amiforge.nbd}.
 */
package io.amiforge.blockdev;
