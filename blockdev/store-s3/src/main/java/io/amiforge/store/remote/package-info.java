/**
 * The snapshot store over an object store: {@link io.amiforge.store.remote.RemoteSnapshotStore}
 * keeps writable volumes in a local {@link io.amiforge.store.SnapshotStore} and makes each
 * snapshot one immutable packed-layer object ({@code PackFormat}), catalogued by
 * manifest-per-commit objects ({@code RemoteCatalog}) that two hosts can commit to at once; reads
 * of remote snapshots fetch ranges lazily through a bounded local cache ({@code ChunkCache}),
 * every block checked against its CRC32C. {@link io.amiforge.store.remote.StoreMigration} copies
 * a local store's snapshots to an object store and back, resumably.
 */
package io.amiforge.store.remote;
