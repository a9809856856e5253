package io.amiforge.blockdev;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WriteBackTriggerTest {

    private static final long CHUNK = WriteBackTrigger.CHUNK_BYTES;

    private final List<long[]> started = new ArrayList<>();
    private final WriteBackTrigger trigger = new WriteBackTrigger((offset, length) -> started.add(new long[] {offset, length}));

    @Test
    void aChunkStartsOnceItsLastPageIsWrittenWhateverTheOrder() {
        for (long page = CHUNK / 4096 - 1; page >= 1; page--) {
            trigger.wrote(CHUNK + page * 4096, 4096);
        }
        assertThat(started).isEmpty();
        trigger.wrote(CHUNK, 4096);
        assertThat(started).containsExactly(new long[] {CHUNK, CHUNK});
    }

    @Test
    void oneLongWriteStartsEveryChunkItFillsInOneRange() {
        trigger.wrote(CHUNK / 2, 8 * CHUNK); // chunk 0 half, chunks 1-7 whole, chunk 8 half
        assertThat(started).containsExactly(new long[] {CHUNK, 7 * CHUNK});
        trigger.wrote(0, CHUNK / 2);
        trigger.wrote(8 * CHUNK + CHUNK / 2, CHUNK / 2);
        assertThat(started).hasSize(3);
        assertThat(started.get(1)).containsExactly(0, CHUNK);
        assertThat(started.get(2)).containsExactly(8 * CHUNK, CHUNK);
    }

    @Test
    void interleavedStreamsEachStartTheirChunks() {
        long other = 1000 * CHUNK + 3 * CHUNK; // another slot than chunk 0
        for (long done = 0; done < CHUNK; done += 256 * 1024) {
            trigger.wrote(done, 256 * 1024);
            trigger.wrote(other + done, 256 * 1024);
        }
        assertThat(started).containsExactly(new long[] {0, CHUNK}, new long[] {other, CHUNK});
    }

    @Test
    void scatteredWritesStartNothing() {
        for (int i = 0; i < 100_000; i++) {
            trigger.wrote((i * 7919L % 262_144) * 4096 * 9, 4096); // spread over 9 GiB
        }
        assertThat(started).isEmpty();
    }

    @Test
    void aChunkWhoseSlotWasTakenCountsAgain() {
        trigger.wrote(0, CHUNK - 4096);
        trigger.wrote(WriteBackTrigger.SLOTS * CHUNK, 4096); // same slot, another chunk
        trigger.wrote(CHUNK - 4096, 4096);
        assertThat(started).isEmpty();
        trigger.wrote(0, CHUNK - 4096);
        assertThat(started).containsExactly(new long[] {0, CHUNK});
    }

    @Test
    void aStartedChunkCountsAgainFromNothing() {
        trigger.wrote(0, CHUNK);
        trigger.wrote(0, CHUNK - 1);
        assertThat(started).hasSize(1);
        trigger.wrote(CHUNK - 1, 1);
        assertThat(started).hasSize(2);
    }
}
