package io.amiforge.cli.store;

import io.amiforge.store.spi.Strategies;
import io.amiforge.store.spi.StrategyProvider;
import java.util.Iterator;

/**
 * The registered strategy names as picocli completion candidates, so that help texts
 * ({@code ${COMPLETION-CANDIDATES}}) list plug-ins too: the registry is read when the help is
 * shown, after {@code --plugin-path} was loaded.
 */
final class StrategyNames {

    private StrategyNames() {
    }

    /** Registered write strategies. */
    static final class Write implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Strategies.names(StrategyProvider.Kind.WRITE_STRATEGY).iterator();
        }
    }

    /** Registered read indexes. */
    static final class Read implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Strategies.names(StrategyProvider.Kind.READ_INDEX).iterator();
        }
    }
}
