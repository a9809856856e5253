package io.amiforge.store.spi;

import java.util.function.ObjLongConsumer;

/**
 * Counters a strategy keeps about its own work, which the store reads into the volume's
 * statistics ({@code VolumeStats.strategyCounters()}, shown by {@code amiforge volume info}).
 * Each counter is a name (a short camelCase word, unique within the strategy) and a value; the
 * store prefixes the strategy's name. Implementations read their counters without locking
 * (plain or atomic longs), so a report may mix values from just before and just after a write.
 */
@FunctionalInterface
public interface StrategyStats {

    /** No counters. */
    StrategyStats NONE = sink -> { };

    /** Passes every counter to {@code sink}, always in the same order. */
    void report(ObjLongConsumer<String> sink);
}
