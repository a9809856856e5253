package io.amiforge.examples.nbdexport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.blockdev.Extent;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StripeDeviceTest {

    static final long SEED = 0x1234_5678_9ABC_DEF0L;

    /** The device's content computed the slow way, word by word. */
    static byte[] expected(long size, long stripe, long seed) {
        ByteBuffer buffer = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        for (long offset = 0; offset < size; offset += 8) {
            buffer.putLong((offset / stripe) % 2 == 0 ? offset ^ seed : 0);
        }
        return buffer.array();
    }

    @Test
    void everyReadAlignedOrNotMatchesTheComputedContent() {
        byte[] expected = expected(1 << 20, 64 << 10, SEED);
        try (StripeDevice device = new StripeDevice("t", 1 << 20, 64 << 10, SEED)) {
            Random random = new Random(7);
            for (int i = 0; i < 500; i++) {
                int offset = random.nextInt(1 << 20);
                int length = random.nextInt(Math.min(200_000, (1 << 20) - offset) + 1);
                byte[] got = new byte[length];
                device.read(offset, MemorySegment.ofArray(got));
                assertThat(got).as("read %d+%d", offset, length)
                        .isEqualTo(java.util.Arrays.copyOfRange(expected, offset, offset + length));
            }
            assertThat(device.byteAt(3)).isEqualTo(expected[3]);
        }
    }

    @Test
    void extentsAlternateDataAndHolesAndStopAtTheLimit() {
        try (StripeDevice device = new StripeDevice("t", 1 << 20, 64 << 10, SEED)) {
            assertThat(device.extentAt(1000, 200 << 10)).isEqualTo(new Extent(1000, (64 << 10) - 1000, Extent.Kind.DATA));
            assertThat(device.extentAt(64 << 10, 200 << 10)).isEqualTo(new Extent(64 << 10, 64 << 10, Extent.Kind.ZERO));
            assertThat(device.extentAt(128 << 10, 10)).isEqualTo(new Extent(128 << 10, 10, Extent.Kind.DATA));
            assertThat(device.extentAt(192 << 10, (8 << 10) + 1000))
                    .isEqualTo(new Extent(192 << 10, (8 << 10) + 1000, Extent.Kind.ZERO));
        }
    }

    @Test
    void writesAreRefusedAndBadStripesNamed() {
        try (StripeDevice device = new StripeDevice("t", 1 << 20, 64 << 10, SEED)) {
            assertThatThrownBy(() -> device.write(0, MemorySegment.ofArray(new byte[8])))
                    .isInstanceOf(BlockDeviceException.ReadOnly.class);
        }
        assertThatThrownBy(() -> new StripeDevice("bad", 1 << 20, 3000, 0))
                .hasMessageContaining("bad: stripe 3000 must be a positive multiple of 4096");
    }
}
