package io.amiforge.blockdev;

/**
 * A run of guest bytes with one allocation status.
 *
 * @param offset guest byte offset
 * @param length bytes, at least 1
 * @param kind   what the run holds
 */
public record Extent(long offset, long length, Kind kind) {

    /** The allocation status of a run. */
    public enum Kind {
        /** Holds data stored in the image (which may happen to be zeros). */
        DATA,
        /** Reads as zeros without storing data (a qcow2 zero cluster, a hole at the base). */
        ZERO,
        /** Not answered by this layer: reads come from the backing file (layer views only). */
        UNALLOCATED
    }

    public long end() {
        return offset + length;
    }
}
