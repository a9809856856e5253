package io.amiforge.example.strategyplugin;

import io.amiforge.store.spi.WriteStrategy;
import io.amiforge.store.spi.WriteStrategyProvider;

/**
 * Registers {@link CountingCowWrite} as {@code counting_cow}. Found by {@link java.util.ServiceLoader}
 * through {@code META-INF/services/io.amiforge.store.spi.WriteStrategyProvider} (class path and
 * plug-in path) and the {@code provides} clause of {@code module-info.java} (module path).
 */
public final class CountingCowProvider implements WriteStrategyProvider {

    @Override
    public String name() {
        return "counting_cow";
    }

    @Override
    public String description() {
        return "copy-on-write that counts block writes and the copy-outs they cause (example plug-in)";
    }

    @Override
    public WriteStrategy create() {
        return new CountingCowWrite();
    }
}
