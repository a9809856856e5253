package io.amiforge.store.remote;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.BlockDevice;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;

/** Test helpers: random block writes and byte-for-byte comparison of devices. */
final class Devices {

    private Devices() {
    }

    /** Writes {@code count} random blocks (some all-zero) at random block positions; returns nothing but changes {@code device}. */
    static void scribble(BlockDevice device, Random random, int count) {
        int bs = device.blockSize();
        long blocks = device.size() / bs;
        byte[] data = new byte[bs];
        for (int i = 0; i < count; i++) {
            if (random.nextInt(8) == 0) {
                Arrays.fill(data, (byte) 0);
            } else {
                random.nextBytes(data);
            }
            device.write(random.nextLong(blocks) * bs, MemorySegment.ofArray(data));
        }
    }

    /** Fails naming the first differing byte unless the two devices hold the same bytes. */
    static void assertSameContents(BlockDevice expected, BlockDevice actual) {
        assertThat(actual.size()).isEqualTo(expected.size());
        int piece = 1 << 20;
        byte[] a = new byte[piece];
        byte[] b = new byte[piece];
        for (long pos = 0; pos < expected.size(); pos += piece) {
            int n = (int) Math.min(piece, expected.size() - pos);
            expected.read(pos, MemorySegment.ofArray(a).asSlice(0, n));
            actual.read(pos, MemorySegment.ofArray(b).asSlice(0, n));
            int at = Arrays.mismatch(a, 0, n, b, 0, n);
            assertThat(at).as("first differing byte of %s vs %s", actual.name(), expected.name()).isEqualTo(-1);
        }
    }
}
