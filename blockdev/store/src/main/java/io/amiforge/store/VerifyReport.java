package io.amiforge.store;

import java.util.List;

/** The result of {@link SnapshotStore#verify()}: every damaged block found, or none. */
public record VerifyReport(long blocksChecked, List<Damage> damage) {

    /**
     * One damaged block: {@code snapshotId} (or null when the damage is in a volume's current
     * data, then {@code volume} names it), the block index, and what is wrong.
     */
    public record Damage(String snapshotId, String volume, long block, String detail) {
    }

    public boolean ok() {
        return damage.isEmpty();
    }
}
