/**
 * The snapshot store's strategy SPI: what a write strategy
 * ({@link io.amiforge.store.spi.WriteStrategy}) and a read index
 * ({@link io.amiforge.store.spi.ReadIndex}) are, over the
 * {@link io.amiforge.store.spi.LayerStack} contract, and how they are found: a
 * {@link io.amiforge.store.spi.WriteStrategyProvider} or
 * {@link io.amiforge.store.spi.ReadIndexProvider} registered with {@link java.util.ServiceLoader},
 * looked up by name in {@link io.amiforge.store.spi.Strategies}; plug-in jars are loaded by
 * {@link io.amiforge.store.spi.Plugins}. Strategies report their own counters through
 * {@link io.amiforge.store.spi.StrategyStats}. Depends on nothing else in the store.
 */
package io.amiforge.store.spi;
