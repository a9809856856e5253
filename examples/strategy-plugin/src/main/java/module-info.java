/** An example write-strategy plug-in: {@code counting_cow}, copy-on-write that counts what it does. */
module io.amiforge.example.strategyplugin {
    requires io.amiforge.store;

    provides io.amiforge.store.spi.WriteStrategyProvider
            with io.amiforge.example.strategyplugin.CountingCowProvider;
}
