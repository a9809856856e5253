/**
 * The snapshot store: persistent volumes over chains of immutable, incremental snapshots, like
 * EBS snapshots or qcow2 backing chains. Entry point: {@link io.amiforge.store.SnapshotStore#open}.
 * Volumes are {@link io.amiforge.store.Volume}s (block devices); strategies live in
 * {@code io.amiforge.store.spi} (the SPI, names to strategies) and {@code io.amiforge.store.strategy}
 * (the built-ins). Several processes may share one store: a volume has one writer at a time and
 * catalog commits are short and never lost ({@link io.amiforge.store.StoreLock}; see
 * docs/snapshot-store.md, "Processes and locks").
 */
package io.amiforge.store;
