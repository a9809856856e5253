package io.amiforge.imagefmt.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReadAheadWindowTest {

    private final byte[] file = new byte[1 << 20];
    /** Every read the window made: {offset, length}. */
    private final List<long[]> reads = new ArrayList<>();
    private final ReadAheadWindow.FileReader reader = (offset, dst) -> {
        reads.add(new long[] {offset, dst.remaining()});
        int n = (int) Math.max(0, Math.min(dst.remaining(), file.length - offset));
        dst.put(file, (int) offset, n);
    };

    ReadAheadWindowTest() {
        new Random(3).nextBytes(file);
    }

    private void assertFetches(ReadAheadWindow window, long offset, int length) {
        int at = window.fetch(reader, offset, length, file.length);
        assertThat(Arrays.copyOfRange(window.bytes(), at, at + length))
                .isEqualTo(Arrays.copyOfRange(file, (int) offset, (int) offset + length));
    }

    @Test
    void unitsOneAfterTheOtherAreReadWithOneLargeRead() {
        ReadAheadWindow window = new ReadAheadWindow(64 << 10, true);
        long pos = 1000;
        for (int i = 0; i < 20; i++) {
            int length = 1500 + 97 * i;
            assertFetches(window, pos, length);
            pos += length;
        }
        // the first unit alone, then one window-sized read that covers many of the following ones
        assertThat(reads.size()).isLessThanOrEqualTo(3);
        assertThat(reads.get(0)).containsExactly(1000, 1500);
        assertThat(reads.get(1)[1]).isEqualTo(64 << 10);
    }

    @Test
    void sizesRoundedPastTheNextUnitStillCountAsSequential() {
        ReadAheadWindow window = new ReadAheadWindow(64 << 10, true);
        assertFetches(window, 0, 4096); // recorded as 4096 though the next unit starts at 3000
        assertFetches(window, 3000, 4096);
        assertFetches(window, 6500, 4096);
        assertThat(reads).hasSize(2);
    }

    @Test
    void scatteredUnitsReadOnlyWhatTheyNeed() {
        ReadAheadWindow window = new ReadAheadWindow(64 << 10, true);
        assertFetches(window, 500_000, 3000);
        assertFetches(window, 10_000, 2000);
        assertFetches(window, 900_000, 1000);
        assertThat(reads).extracting(r -> r[1]).containsExactly(3000L, 2000L, 1000L);
    }

    @Test
    void withoutReadAheadEveryFetchReadsExactlyItsUnit() {
        ReadAheadWindow window = new ReadAheadWindow(64 << 10, false);
        assertFetches(window, 0, 1000);
        assertFetches(window, 1000, 1000);
        assertFetches(window, 1000, 1000); // the same unit again: read again (the file may have changed)
        assertThat(reads).extracting(r -> r[1]).containsExactly(1000L, 1000L, 1000L);
    }

    @Test
    void theWindowStopsAtTheEndOfTheFile() {
        ReadAheadWindow window = new ReadAheadWindow(64 << 10, true);
        long near = file.length - 20_000;
        assertFetches(window, near, 5000);
        assertFetches(window, near + 5000, 5000);
        assertFetches(window, near + 10_000, 10_000);
        assertThat(reads).hasSize(2);
        assertThat(reads.get(1)[1]).isEqualTo(15_000);
    }

    @Test
    void aUnitLargerThanTheWindowIsRefused() {
        ReadAheadWindow window = new ReadAheadWindow(4096, true);
        assertThatThrownBy(() -> window.fetch(reader, 0, 4097, file.length))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("4097");
        assertThat(reads).isEmpty();
    }
}
