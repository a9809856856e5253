package io.amiforge.store.spi;

/**
 * A named strategy the store can use, found by {@link java.util.ServiceLoader} (a
 * {@code provides} clause in {@code module-info.java} or a {@code META-INF/services} entry, with
 * a public no-argument constructor) through {@link Strategies}. Implement one of the two kinds,
 * {@link WriteStrategyProvider} or {@link ReadIndexProvider}; see {@code docs/plugins.md}.
 */
public sealed interface StrategyProvider permits WriteStrategyProvider, ReadIndexProvider {

    /** The kinds of strategy. */
    enum Kind {
        /** A {@link WriteStrategy} ({@code volume create --write-strategy}). */
        WRITE_STRATEGY("write-strategy"),
        /** A {@link ReadIndex} ({@code volume create --index}). */
        READ_INDEX("read-index");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        /** The kind as users read it: "write-strategy" or "read-index". */
        public String label() {
            return label;
        }
    }

    /**
     * The name volumes are created with and persisted under: 1 to 32 lower-case letters, digits
     * and '_', starting with a letter (checked when the provider is registered). A volume created
     * with this name can only be opened where a provider of this name is registered.
     */
    String name();

    /** One line saying what the strategy does, for {@code amiforge store strategies}. */
    String description();

    /** Which kind of strategy this provides. */
    Kind kind();
}
