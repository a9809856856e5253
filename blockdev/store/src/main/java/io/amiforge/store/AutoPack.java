package io.amiforge.store;

/**
 * When a store packs small layers by itself ({@link SnapshotStore#open(java.nio.file.Path, AutoPack)}):
 * once a volume has had {@code layers} row snapshots whose frozen layers are small (at most
 * 64 MiB of data each), the unpacked small layers at the top of its newest snapshot's chain are
 * packed in the background, together with the packs right below them that hold no more layers
 * than they do (size tiers, as an LSM tree merges runs: each layer is copied at most log2(depth)
 * times, and a chain keeps at most log2(depth) packs plus fewer than {@code layers} unpacked
 * small layers on top). {@link #DEFAULT} is on; {@link #OFF} packs only on
 * {@link SnapshotStore#pack} (to compare strategies).
 *
 * @param enabled whether snapshots trigger background packs
 * @param layers  how many new small layers trigger a pack (at least 2)
 */
public record AutoPack(boolean enabled, int layers) {

    /** On, every 8 small layers. */
    public static final AutoPack DEFAULT = new AutoPack(true, 8);
    /** Off: packs only when asked. */
    public static final AutoPack OFF = new AutoPack(false, 8);

    /** Checks {@code layers}. */
    public AutoPack {
        if (layers < 2) {
            throw StoreException.invalid("auto-pack threshold must be at least 2 layers (got " + layers + ")");
        }
    }
}
