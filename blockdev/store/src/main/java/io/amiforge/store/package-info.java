/**
 * The snapshot store: persistent volumes over chains of immutable, incremental snapshots, like
 * EBS snapshots or qcow2 backing chains. Entry point: {@link io.amiforge.store.SnapshotStore#open}.
 * Volumes are {@link io.amiforge.store.Volume}s (block devices); strategies live in
 * {@code io.amiforge.store.spi} (the SPI, names to strategies) and {@code io.amiforge.store.strategy} (the built-ins).
 */
package io.amiforge.store;
