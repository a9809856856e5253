package io.amiforge.store;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.store.spi.ReadIndex;
import io.amiforge.store.spi.Strategies;
import io.amiforge.store.spi.StrategyProvider;
import io.amiforge.store.spi.WriteStrategy;

/**
 * The strategies a volume record names, made through the registry: the one place where a
 * persisted name becomes a strategy. A name no provider has any more (a plug-in left the path)
 * fails with {@code InvalidStrategy.NotFound}, naming the volume and the strategy.
 */
final class VolumeStrategies {

    private VolumeStrategies() {
    }

    /** A new write strategy for volume {@code v}. */
    static WriteStrategy write(Catalog.VolumeRecord v) {
        return Strategies.findWriteStrategy(v.write)
                .orElseThrow(() -> missing(v, StrategyProvider.Kind.WRITE_STRATEGY, v.write)).create();
    }

    /** A new read index for volume {@code v}. */
    static ReadIndex read(Catalog.VolumeRecord v) {
        return Strategies.findReadIndex(v.read).orElseThrow(() -> missing(v, StrategyProvider.Kind.READ_INDEX, v.read)).create();
    }

    /** Whether volume {@code v} updates its current layer in place (its blocks carry generations). */
    static boolean inPlace(Catalog.VolumeRecord v) {
        return !write(v).freezesOnSnapshot();
    }

    private static StoreException missing(Catalog.VolumeRecord v, StrategyProvider.Kind kind, String name) {
        return new StoreException(AmiforgeException.Kind.NOT_FOUND,
                "InvalidStrategy.NotFound", "volume '" + v.name + "' uses " + kind.label() + " '" + name
                        + "', which is not registered (known: " + String.join(", ", Strategies.names(kind))
                        + "); put the plug-in that provides it on the plug-in path (--plugin-path or "
                        + "AMIFORGE_PLUGIN_PATH)");
    }
}
