package io.amiforge.store.strategy;

import io.amiforge.store.spi.WriteStrategy;
import io.amiforge.store.spi.WriteStrategyProvider;

/** Copy-on-write: before the first overwrite of a block a snapshot still needs, copy it into that snapshot. */
public final class CowWrite implements WriteStrategy {

    /** The copy-on-write strategy (stateless). */
    public CowWrite() {
    }

    @Override
    public boolean freezesOnSnapshot() {
        return false;
    }

    @Override
    public void beforeOverwrite(CopyOutContext context, long block) {
        String owner = context.ownerSnapshot(block);
        if (owner != null) {
            context.copyOut(block, owner);
        }
    }

    /** Registers {@code cow}. */
    public static final class Provider implements WriteStrategyProvider {

        /** Used by {@link java.util.ServiceLoader}. */
        public Provider() {
        }

        @Override
        public String name() {
            return "cow";
        }

        @Override
        public String description() {
            return "copy-on-write: the volume's layer is updated in place; a block a snapshot needs is copied out first";
        }

        @Override
        public WriteStrategy create() {
            return new CowWrite();
        }
    }
}
