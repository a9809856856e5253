package io.amiforge.store.spi;

/** Provides a {@link WriteStrategy}: register an implementation as a service of this interface. */
public non-sealed interface WriteStrategyProvider extends StrategyProvider {

    /**
     * A new strategy instance for one open volume. May be called more than once for one volume
     * (each time the store needs to know {@link WriteStrategy#freezesOnSnapshot()}), so it must
     * be cheap and have no side effects beyond building the instance.
     */
    WriteStrategy create();

    @Override
    default Kind kind() {
        return Kind.WRITE_STRATEGY;
    }
}
