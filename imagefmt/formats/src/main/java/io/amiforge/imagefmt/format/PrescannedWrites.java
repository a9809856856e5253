package io.amiforge.imagefmt.format;

import java.lang.foreign.MemorySegment;

/**
 * Implemented by devices that normally look for zero pages on write (to keep holes) and can
 * skip that scan when the caller has already removed the zeros, as image conversion does.
 */
public interface PrescannedWrites {

    /** Writes {@code src} at {@code offset} as it is, without scanning it for zeros. */
    void writeData(long offset, MemorySegment src);
}
