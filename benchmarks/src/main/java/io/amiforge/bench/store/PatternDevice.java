package io.amiforge.bench.store;

import io.amiforge.blockdev.AbstractBlockDevice;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** A read-only device whose every 8-byte word is a hash of its offset and a seed: test data without memory. */
final class PatternDevice extends AbstractBlockDevice {

    private final long seed;

    PatternDevice(long size, int blockSize, long seed) {
        super("pattern", size, blockSize, true);
        this.seed = seed;
    }

    static long word(long seed, long offset) {
        long x = (offset >>> 3) * 0x9E3779B97F4A7C15L + seed;
        x ^= x >>> 31;
        x *= 0xBF58476D1CE4E5B9L;
        return x ^ (x >>> 29);
    }

    @Override
    protected void doRead(long offset, MemorySegment dst) {
        for (long i = 0; i < dst.byteSize(); i += 8) {
            dst.set(ValueLayout.JAVA_LONG_UNALIGNED, i, word(seed, offset + i));
        }
    }

    @Override
    protected void doWrite(long offset, MemorySegment src) {
        throw new UnsupportedOperationException();
    }

    @Override
    protected void doFlush() {
    }

    @Override
    protected void doDiscard(long offset, long length) {
        throw new UnsupportedOperationException();
    }

    @Override
    protected void doClose() {
    }
}
