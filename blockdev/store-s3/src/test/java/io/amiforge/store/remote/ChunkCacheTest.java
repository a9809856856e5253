package io.amiforge.store.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.store.objects.MemoryObjectStore;
import io.amiforge.store.objects.ObjectStoreException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chunk cache under racing readers, a tiny bound, failed fetches and invalidation. */
class ChunkCacheTest {

    private static final int CHUNK = 64 << 10;

    @TempDir
    Path dir;

    @Test
    void racingReadersThroughATinyCacheAlwaysGetTheObjectsBytes() throws Exception {
        MemoryObjectStore objects = new MemoryObjectStore();
        byte[][] bodies = new byte[3][];
        Random fill = new Random(9);
        for (int o = 0; o < bodies.length; o++) {
            bodies[o] = new byte[(2 << 20) + 1234 * o]; // the last chunk is short
            fill.nextBytes(bodies[o]);
            objects.put("o" + o, bodies[o]);
        }
        try (ChunkCache cache = new ChunkCache(objects, dir.resolve("c"), 3L * CHUNK, CHUNK)) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                int seed = t;
                threads.add(Thread.ofPlatform().start(() -> {
                    Random r = new Random(seed);
                    byte[] got = new byte[4096];
                    try {
                        for (int i = 0; i < 3000; i++) {
                            int o = r.nextInt(bodies.length);
                            long offset = r.nextLong(bodies[o].length - 8);
                            int len = (int) Math.min(got.length, CHUNK - (offset % CHUNK));
                            len = (int) Math.min(len, bodies[o].length - offset);
                            cache.read(o + 1, "o" + o, bodies[o].length, offset, MemorySegment.ofArray(got).asSlice(0, len));
                            if (Arrays.mismatch(got, 0, len, bodies[o], (int) offset, (int) offset + len) != -1) {
                                throw new AssertionError("object o" + o + " at " + offset + ": wrong bytes");
                            }
                            if (i % 500 == 0) {
                                cache.invalidate(o + 1, offset);
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            assertThat(failure.get()).isNull();
            long[] stats = cache.stats();
            assertThat(cache.bytesHeld()).isEqualTo(cache.capacity()).isEqualTo(3L * CHUNK);
            String du = io.amiforge.testkit.Processes.run(List.of("du", "-B1", dir.resolve("c/chunks.dat").toString())).orFail()
                    .stdoutText();
            assertThat(Long.parseLong(du.split("\\s+")[0])).as("bytes the cache file takes on disk").isLessThanOrEqualTo(3L * CHUNK);
            assertThat(stats[3]).as("evictions").isPositive();
            assertThat(stats[0] + stats[1] + stats[2]).as("hits + misses + bypassed").isEqualTo(6 * 3000);
        }
    }

    @Test
    void aFailedFetchFailsItsReadersAndTheNextReadFetchesAgain() {
        MemoryObjectStore objects = new MemoryObjectStore();
        byte[] body = new byte[4 * CHUNK];
        new Random(1).nextBytes(body);
        objects.put("k", body);
        try (ChunkCache cache = new ChunkCache(objects, dir.resolve("c"), 2L * CHUNK, CHUNK)) {
            byte[] got = new byte[100];
            objects.failRequests(0, 1, MemoryObjectStore.Fault.FAIL);
            assertThatThrownBy(() -> cache.read(1, "k", body.length, CHUNK + 5, MemorySegment.ofArray(got)))
                    .isInstanceOf(ObjectStoreException.class).hasMessageContaining("k");
            cache.read(1, "k", body.length, CHUNK + 5, MemorySegment.ofArray(got));
            assertThat(got).isEqualTo(Arrays.copyOfRange(body, CHUNK + 5, CHUNK + 105));
            long fetched = cache.stats()[4];
            cache.read(1, "k", body.length, CHUNK + 500, MemorySegment.ofArray(got));
            assertThat(cache.stats()[4]).as("a hit fetches nothing").isEqualTo(fetched);
            cache.invalidate(1, CHUNK + 500);
            cache.read(1, "k", body.length, CHUNK + 500, MemorySegment.ofArray(got));
            assertThat(cache.stats()[4]).isEqualTo(fetched + CHUNK);
            assertThatThrownBy(() -> new ChunkCache(objects, dir.resolve("c"), 2L * CHUNK, CHUNK)).hasMessageContaining("in use");
        }
    }
}
