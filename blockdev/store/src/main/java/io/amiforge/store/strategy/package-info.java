/**
 * The built-in strategies, registered through the {@code io.amiforge.store.spi} SPI like any
 * plug-in: write strategies {@link io.amiforge.store.strategy.RowWrite} ({@code row}) and
 * {@link io.amiforge.store.strategy.CowWrite} ({@code cow}), read indexes
 * {@link io.amiforge.store.strategy.WalkIndex} ({@code walk}) and
 * {@link io.amiforge.store.strategy.FlatIndex} ({@code flat}); each has a nested
 * {@code Provider}. {@link io.amiforge.store.strategy.BlockMap} is the flat index's
 * (and the layers') block table.
 */
package io.amiforge.store.strategy;
