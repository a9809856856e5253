/**
 * The snapshot store: writable volumes over chains of immutable incremental snapshots, with
 * write and read-resolution strategies found through an SPI, a Disruptor journal, checksums and
 * atomic commits.
 */
module io.amiforge.store {
    requires transitive io.amiforge.blockdev;
    requires transitive roaringbitmap;
    requires com.lmax.disruptor;

    exports io.amiforge.store;
    exports io.amiforge.store.spi;
    exports io.amiforge.store.strategy;

    uses io.amiforge.store.spi.WriteStrategyProvider;
    uses io.amiforge.store.spi.ReadIndexProvider;
    provides io.amiforge.store.spi.WriteStrategyProvider
            with io.amiforge.store.strategy.RowWrite.Provider, io.amiforge.store.strategy.CowWrite.Provider;
    provides io.amiforge.store.spi.ReadIndexProvider
            with io.amiforge.store.strategy.WalkIndex.Provider, io.amiforge.store.strategy.FlatIndex.Provider;
}
