package io.amiforge.store.strategy;

import io.amiforge.store.spi.LayerStack;
import io.amiforge.store.spi.ReadIndex;
import io.amiforge.store.spi.ReadIndexProvider;

/** Chain walk: asks each layer from the top down; a read at depth d costs up to d lookups. Keeps no state. */
public final class WalkIndex implements ReadIndex {

    /** The chain-walk read index (stateless). */
    public WalkIndex() {
    }

    @Override
    public Resolver build(LayerStack stack) {
        return new Walk(stack);
    }

    private record Walk(LayerStack stack) implements Resolver {

        @Override
        public int find(long block) {
            for (int i = stack.depth() - 1; i >= 0; i--) {
                if (stack.has(i, block)) {
                    return i;
                }
            }
            return -1;
        }

        @Override
        public int visited(int found) {
            return found < 0 ? stack.depth() : stack.depth() - found;
        }

        @Override
        public Resolver grown(LayerStack grown) {
            return new Walk(grown);
        }
    }

    /** Registers {@code walk}. */
    public static final class Provider implements ReadIndexProvider {

        /** Used by {@link java.util.ServiceLoader}. */
        public Provider() {
        }

        @Override
        public String name() {
            return "walk";
        }

        @Override
        public String description() {
            return "chain walk: asks each layer from the top down; no memory, a read costs up to one lookup per layer";
        }

        @Override
        public ReadIndex create() {
            return new WalkIndex();
        }
    }
}
