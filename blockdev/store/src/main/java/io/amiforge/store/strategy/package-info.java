/**
 * The snapshot store's pluggable strategies: {@link io.amiforge.store.strategy.WriteStrategy}
 * (row, cow) and {@link io.amiforge.store.strategy.ReadIndex} (walk, flat), each over the
 * {@link io.amiforge.store.strategy.LayerStack} contract.
 */
package io.amiforge.store.strategy;
