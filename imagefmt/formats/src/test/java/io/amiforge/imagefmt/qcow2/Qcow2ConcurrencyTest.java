package io.amiforge.imagefmt.qcow2;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageFormats;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.io.TempDir;

/**
 * Concurrent writers on disjoint 4 KiB blocks that share 64 KiB clusters over a backing file:
 * every first write of a cluster is a copy-on-write allocation racing with its neighbours,
 * and readers run at the same time. Afterwards every block holds its writer's last value and
 * every block nobody wrote still shows the backing file.
 */
class Qcow2ConcurrencyTest {

    @TempDir
    Path dir;

    @RepeatedTest(2)
    void disjointWritersSharingClustersOverABackingFile() throws Exception {
        int block = 4096;
        int blocks = 1024; // 4 MiB, 64 clusters
        Path base = dir.resolve("base.qcow2");
        byte[] baseData = new byte[block * blocks];
        for (int i = 0; i < baseData.length; i++) {
            baseData[i] = (byte) (i / block);
        }
        try (BlockDevice device = ImageFormats.create(base, "qcow2", baseData.length, CreateOptions.defaults())) {
            device.write(0, MemorySegment.ofArray(baseData));
        }
        Path top = dir.resolve("top.qcow2");
        try (BlockDevice device = ImageFormats.create(top, "qcow2", -1, CreateOptions.defaults().withBacking("base.qcow2", "qcow2"))) {
            ExecutorService pool = Executors.newFixedThreadPool(5);
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int thread = t;
                    futures.add(pool.submit(() -> {
                        byte[] buf = new byte[block];
                        for (int round = 0; round < 3; round++) {
                            for (int b = thread; b < blocks; b += 8) { // blocks 4..7 mod 8 are never written
                                Arrays.fill(buf, (byte) (0x80 + thread * 8 + round));
                                device.write((long) b * block, MemorySegment.ofArray(buf));
                            }
                        }
                    }));
                }
                futures.add(pool.submit(() -> {
                    byte[] buf = new byte[block];
                    for (int i = 0; i < 3000; i++) {
                        int b = 4 + 8 * (i % (blocks / 8));
                        device.read((long) b * block, MemorySegment.ofArray(buf));
                        for (byte x : buf) {
                            if (x != (byte) b) {
                                throw new AssertionError("block " + b + " read " + x + " while neighbours were written");
                            }
                        }
                    }
                }));
                for (Future<?> f : futures) {
                    f.get();
                }
            } finally {
                pool.shutdown();
            }
            byte[] all = new byte[block * blocks];
            device.read(0, MemorySegment.ofArray(all));
            for (int b = 0; b < blocks; b++) {
                byte expected = b % 8 < 4 ? (byte) (0x80 + (b % 8) * 8 + 2) : (byte) b;
                for (int i = b * block; i < (b + 1) * block; i++) {
                    if (all[i] != expected) {
                        throw new AssertionError("block " + b + " byte " + i + " is " + all[i] + ", expected " + expected);
                    }
                }
            }
        }
        try (Qcow2Image image = Qcow2Image.open(top, true)) {
            assertThat(image.layerAllocation()).hasSize(1); // every cluster got allocated exactly once
        }
    }
}
