package io.amiforge.bench.sweep;

import io.amiforge.store.spi.Strategies;
import io.amiforge.store.spi.WriteStrategy;
import io.amiforge.store.spi.WriteStrategyProvider;

/** A test plug-in registered through META-INF/services: redirect-on-write under its own name. */
public final class ProbeWriteStrategy implements WriteStrategyProvider {

    /** The no-argument constructor {@link java.util.ServiceLoader} needs. */
    public ProbeWriteStrategy() {
        // nothing to set up
    }

    @Override
    public String name() {
        return "bench_probe";
    }

    @Override
    public String description() {
        return "test plug-in: the built-in row strategy under another name";
    }

    @Override
    public WriteStrategy create() {
        return Strategies.writeStrategy("row").create();
    }
}
