package io.amiforge.store;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The records of a catalog (snapshots and volumes) built on each snapshot, that is naming it as
 * their base: what {@link LayerPacker} asks to find branch points and what reads through a packed
 * chain, in O(what is built on it) instead of a walk of every snapshot and volume. The
 * {@link Catalog} tells it of every record it takes in, changes ({@link Catalog#touch}) or lets
 * go; each record is filed under the base it had when last told. Most snapshots have one record
 * on them, kept as itself; several are kept in a list.
 */
final class BuiltOn {

    /** Per base: the one record on it, or a {@code List} of several. */
    private final Map<String, Object> on = new HashMap<>();
    /** Each filed record, and the base it is filed under (which may be null: not filed anywhere). */
    private final Map<Object, String> filedUnder = new IdentityHashMap<>();

    /** Files {@code record} under {@code base}, and takes it out from under the base it was filed under. */
    void file(Object record, String base) {
        boolean known = filedUnder.containsKey(record);
        if (known && Objects.equals(filedUnder.get(record), base)) {
            return; // a touch that left the base as it was: no list of what is built on it is walked
        }
        String before = filedUnder.put(record, base);
        if (known) {
            remove(before, record);
        }
        if (base != null) {
            add(base, record);
        }
    }

    /** Takes {@code record} out (null or not filed: nothing). */
    void forget(Object record) {
        if (record != null && filedUnder.containsKey(record)) {
            remove(filedUnder.remove(record), record);
        }
    }

    /** How many records are built on {@code snapshotId}. O(1). */
    int count(String snapshotId) {
        Object o = on.get(snapshotId);
        return o == null ? 0 : o instanceof List<?> list ? list.size() : 1;
    }

    /** Calls {@code action} with each record built on {@code snapshotId}. */
    void forEach(String snapshotId, Consumer<Object> action) {
        Object o = on.get(snapshotId);
        if (o instanceof List<?> list) {
            List.copyOf(list).forEach(action);
        } else if (o != null) {
            action.accept(o);
        }
    }

    void clear() {
        on.clear();
        filedUnder.clear();
    }

    /** Every base with its count: to compare with a count made from the records. */
    Map<String, Integer> counts() {
        Map<String, Integer> counts = new HashMap<>();
        on.keySet().forEach(base -> counts.put(base, count(base)));
        return counts;
    }

    @SuppressWarnings("unchecked")
    private void add(String base, Object record) {
        Object o = on.get(base);
        if (o == null) {
            on.put(base, record);
        } else if (o instanceof List<?> list) {
            ((List<Object>) list).add(record);
        } else {
            List<Object> list = new ArrayList<>(2);
            list.add(o);
            list.add(record);
            on.put(base, list);
        }
    }

    private void remove(String base, Object record) {
        if (base == null) {
            return;
        }
        Object o = on.get(base);
        if (o == record) {
            on.remove(base);
        } else if (o instanceof List<?> list) {
            list.removeIf(x -> x == record);
            if (list.size() == 1) {
                on.put(base, list.getFirst());
            }
        }
    }
}
