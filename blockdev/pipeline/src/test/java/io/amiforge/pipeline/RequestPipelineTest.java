package io.amiforge.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.testkit.SystemProperties;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RequestPipelineTest {

    /** Collects completions: tag -> failure (or a marker for success), and the order they came in. */
    static final class Results implements BlockCompletion {
        static final Throwable OK = new Throwable("ok");
        final Map<Long, Throwable> outcome = new ConcurrentHashMap<>();
        final List<Long> order = java.util.Collections.synchronizedList(new ArrayList<>());
        final List<String> logAtCompletion = java.util.Collections.synchronizedList(new ArrayList<>());
        RecordingDevice device;
        final CountDownLatch all;

        Results(int expected) {
            all = new CountDownLatch(expected);
        }

        @Override
        public void completed(BlockRequest request, Throwable failure) {
            outcome.put(request.tag(), failure == null ? OK : failure);
            order.add(request.tag());
            if (device != null) {
                logAtCompletion.add(request.tag() + ":" + device.log.size());
            }
            all.countDown();
        }

        void await() throws InterruptedException {
            assertThat(all.await(20, TimeUnit.SECONDS)).as("all requests completed").isTrue();
        }
    }

    private static MemorySegment filled(int length, int value) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) value);
        return MemorySegment.ofArray(b);
    }

    @Test
    void adjacentWritesQueuedBehindABusyDeviceBecomeOneDeviceWrite() throws Exception {
        RecordingDevice device = new RecordingDevice(1 << 20);
        device.gate = new CountDownLatch(1);
        try (RequestPipeline pipeline = RequestPipeline.start(device, 64, 1 << 20)) {
            Results results = new Results(9);
            pipeline.flush(results, null, 100); // holds the consumer inside the device
            assertThat(device.entered.await(10, TimeUnit.SECONDS)).isTrue();
            for (int i = 0; i < 8; i++) {
                pipeline.write(4096L * i, filled(4096, i + 1), 0, results, null, i);
            }
            device.gate.countDown();
            results.await();
            assertThat(device.log).containsExactly("F", "W 0 32768");
            assertThat(results.outcome.values()).allMatch(t -> t == Results.OK);
            byte[] back = new byte[32768];
            device.inner.read(0, MemorySegment.ofArray(back));
            for (int i = 0; i < 8; i++) {
                assertThat(back[4096 * i]).isEqualTo((byte) (i + 1));
                assertThat(back[4096 * i + 4095]).isEqualTo((byte) (i + 1));
            }
        }
    }

    @Test
    void adjacentReadsAreMergedAndEachGetsItsOwnBytes() throws Exception {
        RecordingDevice device = new RecordingDevice(1 << 20);
        for (int i = 0; i < 4; i++) {
            device.inner.write(512L * i, filled(512, 0x10 + i));
        }
        device.gate = new CountDownLatch(1);
        try (RequestPipeline pipeline = RequestPipeline.start(device, 64, 1 << 20)) {
            Results results = new Results(5);
            pipeline.flush(results, null, 100);
            assertThat(device.entered.await(10, TimeUnit.SECONDS)).isTrue();
            MemorySegment[] dst = new MemorySegment[4];
            for (int i = 0; i < 4; i++) {
                dst[i] = MemorySegment.ofArray(new byte[512]);
                pipeline.read(512L * i, dst[i], results, null, i);
            }
            device.gate.countDown();
            results.await();
            assertThat(device.log).containsExactly("F", "R 0 2048");
            for (int i = 0; i < 4; i++) {
                assertThat(dst[i].toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).containsOnly(0x10 + i);
            }
        }
    }

    @Test
    void fuaWritesCompleteOnlyAfterOneSharedFlush() throws Exception {
        RecordingDevice device = new RecordingDevice(1 << 20);
        device.gate = new CountDownLatch(1);
        try (RequestPipeline pipeline = RequestPipeline.start(device, 64, 0)) {
            Results results = new Results(4);
            results.device = device;
            pipeline.read(0, MemorySegment.ofArray(new byte[512]), results, null, 100);
            assertThat(device.entered.await(10, TimeUnit.SECONDS)).isTrue();
            pipeline.write(0, filled(512, 1), BlockRequest.FUA, results, null, 1);
            pipeline.write(8192, filled(512, 2), BlockRequest.FUA, results, null, 2);
            pipeline.write(65536, filled(512, 3), 0, results, null, 3);
            device.gate.countDown();
            results.await();
            assertThat(device.log).containsExactly("R 0 512", "W 0 512", "W 8192 512", "W 65536 512", "F");
            // the plain write completed before the flush (log size 4), the FUA ones after it (5)
            assertThat(results.logAtCompletion).contains("3:4", "1:5", "2:5");
        }
    }

    @Test
    void flushRunsAfterTheWritesSubmittedBeforeIt() throws Exception {
        RecordingDevice device = new RecordingDevice(1 << 20);
        try (RequestPipeline pipeline = RequestPipeline.start(device, 16, 0)) {
            Results results = new Results(201);
            for (int i = 0; i < 200; i++) {
                pipeline.write(4096L * (i % 100), filled(512, i), 0, results, null, i);
            }
            pipeline.flush(results, null, 1000);
            results.await();
            assertThat(device.log.getLast()).isEqualTo("F");
            assertThat(device.log.stream().filter(s -> s.startsWith("W")).count()).isEqualTo(200);
            assertThat(results.order.getLast()).isEqualTo(1000L);
        }
    }

    @Test
    void concurrentSubmittersSeeTheirOwnProgramOrder() throws Exception {
        RecordingDevice device = new RecordingDevice(1 << 20);
        int threads = 4;
        int perThread = 500;
        try (RequestPipeline pipeline = RequestPipeline.start(device, 32, 64 * 1024)) {
            Results results = new Results(threads * perThread);
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                workers.add(Thread.ofPlatform().start(() -> {
                    // each thread overwrites its own 512-byte slot with increasing values
                    for (int i = 0; i < perThread; i++) {
                        pipeline.write(512L * id, filled(512, i & 0xff), 0, results, null, id * 10_000L + i);
                    }
                }));
            }
            for (Thread w : workers) {
                w.join();
            }
            results.await();
            for (int t = 0; t < threads; t++) {
                byte[] slot = new byte[512];
                device.inner.read(512L * t, MemorySegment.ofArray(slot));
                assertThat(slot).containsOnly((perThread - 1) & 0xff);
            }
        }
    }

    /** Each wait mode picks up requests that arrive after the consumer went idle. */
    @Test
    void everyWaitModeServesRequestsThatArriveWhileIdle() throws Exception {
        for (RequestPipeline.Wait wait : RequestPipeline.Wait.values()) {
            RecordingDevice device = new RecordingDevice(1 << 16);
            try (RequestPipeline pipeline = RequestPipeline.start(device, 16, 0, 0, wait)) {
                for (int i = 0; i < 3; i++) {
                    Thread.sleep(5); // long past the phased wait's spin and yield: the consumer blocks
                    Results results = new Results(2);
                    pipeline.write(512L * i, filled(512, i + 1), 0, results, null, 1);
                    byte[] back = new byte[512];
                    pipeline.read(512L * i, MemorySegment.ofArray(back), results, null, 2);
                    results.await();
                    assertThat(back).as("%s, round %d", wait, i).containsOnly((byte) (i + 1));
                }
            }
        }
    }

    @Test
    void anUnknownWaitPropertyIsAnErrorNamingIt() {
        SystemProperties.restoring("amiforge.pipeline.wait", () -> {
            System.setProperty("amiforge.pipeline.wait", "spinny");
            assertThatThrownBy(() -> RequestPipeline.Wait.configured(RequestPipeline.Wait.PHASED))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("spinny");
            System.setProperty("amiforge.pipeline.wait", "blocking");
            assertThat(RequestPipeline.Wait.configured(RequestPipeline.Wait.PHASED))
                    .isEqualTo(RequestPipeline.Wait.BLOCKING);
            System.clearProperty("amiforge.pipeline.wait");
            assertThat(RequestPipeline.Wait.configured(RequestPipeline.Wait.YIELDING))
                    .isEqualTo(RequestPipeline.Wait.YIELDING);
        });
    }

    @Test
    void failuresReachTheirOwnRequestOnly() throws Exception {
        RecordingDevice device = new RecordingDevice(1 << 16);
        try (RequestPipeline pipeline = RequestPipeline.start(device)) {
            Results results = new Results(3);
            pipeline.write(0, filled(512, 1), 0, results, null, 1);
            pipeline.write((1 << 16) - 256, filled(512, 2), 0, results, null, 2); // past the end
            pipeline.write(512, filled(512, 3), 0, results, null, 3);
            results.await();
            assertThat(results.outcome.get(1L)).isSameAs(Results.OK);
            assertThat(results.outcome.get(2L)).isInstanceOf(BlockDeviceException.OutOfRange.class);
            assertThat(results.outcome.get(3L)).isSameAs(Results.OK);
        }
    }

    @Test
    void writeZeroesWithNoHoleWritesAndWithoutDiscards() throws Exception {
        RecordingDevice device = new RecordingDevice(4 << 20);
        device.inner.write(0, filled(3 << 20, 7));
        try (RequestPipeline pipeline = RequestPipeline.start(device)) {
            Results results = new Results(2);
            pipeline.submit(BlockOp.WRITE_ZEROES, 0, 3 << 20, null, BlockRequest.NO_HOLE, null, results, null, 1);
            pipeline.submit(BlockOp.WRITE_ZEROES, 3 << 20, 1 << 20, null, 0, null, results, null, 2);
            results.await();
            assertThat(device.log).containsExactly("W 0 1048576", "W 1048576 1048576", "W 2097152 1048576",
                    "D 3145728 1048576");
            byte[] back = new byte[3 << 20];
            device.inner.read(0, MemorySegment.ofArray(back));
            assertThat(back).containsOnly(0);
        }
    }

    @Test
    void requestsAfterCloseFailWithClosedAndEarlierOnesComplete() throws Exception {
        RecordingDevice device = new RecordingDevice(1 << 20);
        RequestPipeline pipeline = RequestPipeline.start(device);
        Results results = new Results(101);
        AtomicInteger ok = new AtomicInteger();
        for (int i = 0; i < 100; i++) {
            pipeline.write(512L * i, filled(512, 1), 0, (r, f) -> {
                if (f == null) {
                    ok.incrementAndGet();
                }
                results.completed(r, f);
            }, null, i);
        }
        pipeline.close();
        assertThat(ok.get()).isEqualTo(100);
        pipeline.flush(results, null, 500);
        results.await();
        assertThat(results.outcome.get(500L)).isInstanceOf(BlockDeviceException.Closed.class);
    }

    @Test
    void randomMixMatchesAModel() throws Exception {
        RecordingDevice device = new RecordingDevice(256 * 1024);
        byte[] model = new byte[256 * 1024];
        Random random = new Random(42);
        try (RequestPipeline pipeline = RequestPipeline.start(device, 64, 32 * 1024)) {
            int n = 2000;
            Results results = new Results(n);
            List<long[]> reads = new ArrayList<>();
            List<MemorySegment> readBuffers = new ArrayList<>();
            List<byte[]> expected = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int length = 512 * (1 + random.nextInt(8));
                int offset = 512 * random.nextInt(model.length / 512 - 8);
                if (random.nextBoolean()) {
                    byte[] data = new byte[length];
                    random.nextBytes(data);
                    System.arraycopy(data, 0, model, offset, length);
                    pipeline.write(offset, MemorySegment.ofArray(data), 0, results, null, i);
                } else {
                    MemorySegment dst = MemorySegment.ofArray(new byte[length]);
                    readBuffers.add(dst);
                    expected.add(Arrays.copyOfRange(model, offset, offset + length));
                    reads.add(new long[] {offset, length});
                    pipeline.read(offset, dst, results, null, i);
                }
            }
            results.await();
            for (int i = 0; i < readBuffers.size(); i++) {
                assertThat(readBuffers.get(i).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))
                        .as("read %d at %d", i, reads.get(i)[0]).isEqualTo(expected.get(i));
            }
        }
    }

    @Test
    void independentReadsOfOneBatchRunConcurrently() throws Exception {
        // every read waits at a barrier for a second read: only concurrent execution gets past it
        java.util.concurrent.CyclicBarrier barrier = new java.util.concurrent.CyclicBarrier(2);
        RecordingDevice device = new RecordingDevice(1 << 20);
        io.amiforge.blockdev.BlockDevice slow = new io.amiforge.blockdev.AbstractBlockDevice("slow", 1 << 20, 512, false) {
            @Override protected void doRead(long offset, MemorySegment dst) {
                try {
                    barrier.await(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException("reads did not overlap", e);
                }
                device.inner.read(offset, dst);
            }
            @Override protected void doWrite(long offset, MemorySegment src) { device.write(offset, src); }
            @Override protected void doFlush() { device.flush(); }
            @Override protected void doDiscard(long offset, long length) { }
            @Override protected void doClose() { }
        };
        device.gate = new CountDownLatch(1);
        try (RequestPipeline pipeline = RequestPipeline.start(slow, 64, 0, 1)) {
            Results results = new Results(3);
            pipeline.flush(results, null, 100);
            assertThat(device.entered.await(10, TimeUnit.SECONDS)).isTrue();
            pipeline.read(0, MemorySegment.ofArray(new byte[512]), results, null, 1);
            pipeline.read(65536, MemorySegment.ofArray(new byte[512]), results, null, 2);
            device.gate.countDown();
            results.await();
            assertThat(results.outcome.get(1L)).isSameAs(Results.OK);
            assertThat(results.outcome.get(2L)).isSameAs(Results.OK);
        }
    }
}
