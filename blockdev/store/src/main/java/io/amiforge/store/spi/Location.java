package io.amiforge.store.spi;

/**
 * Where a block was found by {@link ReadIndex.Resolver#locate}: the ordinal of the layer and that
 * layer's entry for the block ({@link LayerStack#entry}). A mutable holder that a reading thread
 * owns and reuses, so that a lookup returns both values without allocating; not thread-safe.
 */
public final class Location {

    private int ordinal = -1;
    private long entry;

    /** An empty location (no layer). */
    public Location() {
    }

    /** The layer's ordinal, or -1 when no layer holds the block (it reads as zeros). */
    public int ordinal() {
        return ordinal;
    }

    /** The layer's entry for the block; 0 when {@link #ordinal()} is -1. */
    public long entry() {
        return entry;
    }

    /** Records a result: {@code ordinal} (or -1) and its {@code entry} (0 with -1). */
    public void set(int ordinal, long entry) {
        this.ordinal = ordinal;
        this.entry = entry;
    }
}
