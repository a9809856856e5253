/**
 * The snapshot store's pluggable strategies: {@link io.amiforge.blockdev.store.strategy.WriteStrategy}
 * (row, cow) and {@link io.amiforge.blockdev.store.strategy.ReadIndex} (walk, flat), each over the
 * {@link io.amiforge.blockdev.store.strategy.LayerStack} contract.
 */
package io.amiforge.blockdev.store.strategy;
