package io.amiforge.store.spi;

/** Provides a {@link ReadIndex}: register an implementation as a service of this interface. */
public non-sealed interface ReadIndexProvider extends StrategyProvider {

    /** A new read index for one open volume. */
    ReadIndex create();

    @Override
    default Kind kind() {
        return Kind.READ_INDEX;
    }
}
