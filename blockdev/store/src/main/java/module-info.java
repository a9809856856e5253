/**
 * The snapshot store: writable volumes over chains of immutable incremental snapshots, with
 * write and read-resolution strategies, a Disruptor journal, checksums and atomic commits.
 */
module io.amiforge.store {
    requires transitive io.amiforge.blockdev;
    requires transitive roaringbitmap;
    requires com.lmax.disruptor;

    exports io.amiforge.store;
    exports io.amiforge.store.strategy;
}
