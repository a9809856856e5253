package io.amiforge.bench.sweep;

/** The workloads a sweep measures on every strategy pair and depth, by the name rows carry. */
public enum Workload {
    /** Block reads at seeded random offsets. */
    RANDOM_READ("random_read"),
    /** Block reads in order from a seeded start, wrapping at the end of the volume. */
    SEQUENTIAL_READ("sequential_read"),
    /** Block writes at seeded random offsets, then one flush (counted in the throughput). */
    RANDOM_WRITE("random_write"),
    /** Snapshots of the volume, one block changed before each (the change is not timed). */
    SNAPSHOT_CREATE("snapshot_create"),
    /** Clones of the middle snapshot of the chain (each closed and deleted untimed). */
    CLONE("clone"),
    /** Deletes of the snapshot in the middle of the chain (a merge into its child). */
    DELETE_MIDDLE_SNAPSHOT("delete_middle_snapshot"),
    /** One flatten of the volume's whole chain. */
    FLATTEN("flatten");

    private final String label;

    Workload(String label) {
        this.label = label;
    }

    /** The name in results and chart file names, e.g. {@code random_read}. */
    public String label() {
        return label;
    }
}
