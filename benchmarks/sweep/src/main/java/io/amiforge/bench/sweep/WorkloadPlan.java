package io.amiforge.bench.sweep;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * The seeded workload of one sweep: which blocks each chain layer and each workload touch, and
 * what each written block holds, all derived from the seed, so the same seed gives the same
 * workload. Every block list handed out is also fed to a SHA-256 {@link #digest()}, which two runs
 * compare to show that they ran the same workload. Not thread-safe.
 */
final class WorkloadPlan {

    private final long seed;
    private final long blocks;
    private final MessageDigest digest;

    WorkloadPlan(long seed, long blocks) {
        this.seed = seed;
        this.blocks = blocks;
        try {
            this.digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** {@code count} random block numbers for {@code purpose} ("layer", "random_read", ...) at {@code depth}, step {@code index}. */
    long[] randomBlocks(String purpose, int depth, int index, int count) {
        SplittableRandom random = new SplittableRandom(mix(purpose, depth, index));
        long[] out = new long[count];
        for (int i = 0; i < count; i++) {
            out[i] = random.nextLong(blocks);
        }
        record(purpose, depth, index, out);
        return out;
    }

    /** {@code count} block numbers in order from a seeded start, wrapping at the end of the volume. */
    long[] sequentialBlocks(String purpose, int depth, int count) {
        long start = new SplittableRandom(mix(purpose, depth, 0)).nextLong(blocks);
        long[] out = new long[count];
        for (int i = 0; i < count; i++) {
            out[i] = (start + i) % blocks;
        }
        record(purpose, depth, 0, out);
        return out;
    }

    /** Fills {@code buf} with the content version {@code version} of {@code block} (seeded, incompressible). */
    void fill(MemorySegment buf, long block, long version) {
        long x = seed ^ (block * 0x9E3779B97F4A7C15L) ^ (version * 0xC2B2AE3D27D4EB4FL);
        for (long off = 0; off < buf.byteSize(); off += Long.BYTES) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            buf.set(ValueLayout.JAVA_LONG_UNALIGNED, off, x);
        }
    }

    /** Hex SHA-256 of every block list handed out so far, with the seed and the volume size. */
    String digest() {
        try {
            MessageDigest copy = (MessageDigest) digest.clone();
            copy.update(ByteBuffer.allocate(16).putLong(seed).putLong(blocks).flip());
            return HexFormat.of().formatHex(copy.digest());
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("SHA-256 cannot be cloned", e);
        }
    }

    private long mix(String purpose, int depth, int index) {
        long h = seed * 0x9E3779B97F4A7C15L + purpose.hashCode();
        h = h * 31 + depth;
        return h * 31 + index;
    }

    private void record(String purpose, int depth, int index, long[] out) {
        digest.update(purpose.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        ByteBuffer b = ByteBuffer.allocate(8 + out.length * Long.BYTES).putInt(depth).putInt(index);
        for (long v : out) {
            b.putLong(v);
        }
        digest.update(b.flip());
    }
}
