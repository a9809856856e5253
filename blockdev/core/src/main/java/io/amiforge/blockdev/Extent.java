package io.amiforge.blockdev;

import java.util.Objects;

/**
 * A run of guest bytes with one allocation status (see {@link AllocationStatus}).
 *
 * @param offset guest byte offset, at least 0
 * @param length bytes, at least 1
 * @param kind   what the run holds
 */
public record Extent(long offset, long length, Kind kind) {

    public Extent {
        if (offset < 0 || length < 1 || offset > Long.MAX_VALUE - length) {
            throw new IllegalArgumentException("extent [" + offset + ", +" + length + ") is empty or out of range");
        }
        Objects.requireNonNull(kind, "kind");
    }

    /** The allocation status of a run. */
    public enum Kind {
        /** Holds data stored in the image (which may happen to be zeros). */
        DATA,
        /** Reads as zeros without storing data (a hole, a discarded or never-written block). */
        ZERO,
        /** Not answered by this layer: reads come from the backing file (layer views only). */
        UNALLOCATED
    }

    /** The first byte after the run. */
    public long end() {
        return offset + length;
    }
}
