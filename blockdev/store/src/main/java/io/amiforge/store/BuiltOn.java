package io.amiforge.store;

import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * How many records of a catalog (snapshots and volumes) are built on each snapshot, that is name
 * it as their base: what {@link LayerPacker}'s branch-point check asks, in O(1) instead of a walk
 * of every snapshot taken since. The {@link Catalog} tells it of every record it takes in, changes
 * ({@link Catalog#touch}) or lets go; each record is counted under the base it had when last told.
 */
final class BuiltOn {

    private final Map<String, Integer> counts = new HashMap<>();
    /** Each counted record, and the base it is counted under (which may be null). */
    private final Map<Object, String> countedUnder = new IdentityHashMap<>();

    /** Counts {@code record} under {@code base}, and no longer under the base it was counted under. */
    void count(Object record, String base) {
        boolean known = countedUnder.containsKey(record);
        String before = countedUnder.put(record, base);
        if (known) {
            decrement(before);
        }
        if (base != null) {
            counts.merge(base, 1, Integer::sum);
        }
    }

    /** Stops counting {@code record} (null or not counted: nothing). */
    void forget(Object record) {
        if (record != null && countedUnder.containsKey(record)) {
            decrement(countedUnder.remove(record));
        }
    }

    /** How many counted records name {@code snapshotId} as their base. */
    int of(String snapshotId) {
        return counts.getOrDefault(snapshotId, 0);
    }

    void clear() {
        counts.clear();
        countedUnder.clear();
    }

    /** Every base with its count (a copy): to compare with a count made from the records. */
    Map<String, Integer> counts() {
        return new HashMap<>(counts);
    }

    private void decrement(String base) {
        if (base != null) {
            counts.computeIfPresent(base, (k, n) -> n == 1 ? null : n - 1);
        }
    }
}
