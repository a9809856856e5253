package io.amiforge.imagefmt.format;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Zero detection and a shared read-only block of zeros, for keeping sparse things sparse. */
public final class Zeros {

    /** The largest span {@link #isZero} compares in one step; also the size of {@link #SEGMENT}. */
    public static final int CHUNK = 2 << 20;

    /** {@value #CHUNK} zero bytes, never written. */
    public static final MemorySegment SEGMENT = Arena.global().allocate(CHUNK, 4096).asReadOnly();

    private Zeros() {
    }

    /** Whether every byte of {@code segment} is zero (vectorised comparison, no allocation). */
    public static boolean isZero(MemorySegment segment) {
        long length = segment.byteSize();
        long done = 0;
        while (done < length) {
            long n = Math.min(CHUNK, length - done);
            if (MemorySegment.mismatch(segment, done, done + n, SEGMENT, 0, n) != -1) {
                return false;
            }
            done += n;
        }
        return true;
    }
}
