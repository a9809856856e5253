package io.amiforge.store.strategy;

import io.amiforge.store.spi.WriteStrategy;
import io.amiforge.store.spi.WriteStrategyProvider;

/** Redirect-on-write: new data always goes to the newest layer; nothing is ever copied. */
public final class RowWrite implements WriteStrategy {

    /** The redirect-on-write strategy (stateless). */
    public RowWrite() {
    }

    @Override
    public boolean freezesOnSnapshot() {
        return true;
    }

    @Override
    public void beforeOverwrite(CopyOutContext context, long block) {
    }

    /** Registers {@code row}. */
    public static final class Provider implements WriteStrategyProvider {

        /** Used by {@link java.util.ServiceLoader}. */
        public Provider() {
        }

        @Override
        public String name() {
            return "row";
        }

        @Override
        public String description() {
            return "redirect-on-write: a snapshot freezes the top layer, writes go to a new one; nothing is copied";
        }

        @Override
        public WriteStrategy create() {
            return new RowWrite();
        }
    }
}
