package io.amiforge.store;

import java.util.List;

/**
 * The result of {@link SnapshotStore#verify()}: every damaged block found, or none, and the
 * volumes that could not be checked because another process has them open for writing (their
 * current data is changing under that process; verify again when it has closed them), and the
 * automatic packs of this process that failed ({@link SnapshotStore#maintenanceFailures}: they
 * changed nothing, so they are no damage).
 */
public record VerifyReport(long blocksChecked, List<Damage> damage, List<String> notChecked, List<String> maintenanceFailures) {

    /**
     * One damaged block: {@code snapshotId} (or null when the damage is in a volume's current
     * data, then {@code volume} names it), the block index, and what is wrong.
     */
    public record Damage(String snapshotId, String volume, long block, String detail) {
    }

    /** A report without maintenance failures. */
    public VerifyReport(long blocksChecked, List<Damage> damage, List<String> notChecked) {
        this(blocksChecked, damage, notChecked, List.of());
    }

    /** A report in which every volume was checked. */
    public VerifyReport(long blocksChecked, List<Damage> damage) {
        this(blocksChecked, damage, List.of());
    }

    /** No damage was found (volumes in {@link #notChecked} were not looked at). */
    public boolean ok() {
        return damage.isEmpty();
    }
}
