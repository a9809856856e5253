package io.amiforge.bench.qcow2;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageConverter;
import io.amiforge.imagefmt.format.ImageFormats;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Plain-main harness that runs amiforge and qemu-img on the same files in the same run and
 * prints MiB/s, reads/s and the ratios:
 * <ul>
 *   <li>qcow2 -> raw: {@link ImageConverter#convert} vs {@code qemu-img convert -O raw}, median
 *       of N runs each, alternating, page cache warm;</li>
 *   <li>4 KiB reads: {@code qemu-img bench -c COUNT -d 1 -s 4096 -S STEP -t writeback -f qcow2}
 *       vs the same COUNT reads at the same offsets ({@code (i * STEP) mod size}) through our
 *       {@link BlockDevice}, one thread, queue depth 1. STEP (1 MiB + 4 KiB + 4 KiB·k) makes the
 *       sequence jump across the whole image, touching every L2 table.</li>
 * </ul>
 * Usage: {@code java -cp benchmarks.jar io.amiforge.bench.qcow2.Qcow2VersusQemu [sizeMiB] [runs]}.
 */
public final class Qcow2VersusQemu {

    private Qcow2VersusQemu() {
    }

    public static void main(String[] args) throws Exception {
        long size = (args.length > 0 ? Long.parseLong(args[0]) : 512) << 20;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        String qemu = Qcow2Workload.qemuImg();
        if (qemu == null) {
            System.out.println("qemu-img not installed: nothing to compare against");
            return;
        }
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "amiforge-bench-qcow2");
        Files.createDirectories(dir);
        Qcow2Workload w = new Qcow2Workload(dir, size);
        Path ours = dir.resolve("ours.raw");
        Path theirs = dir.resolve("theirs.raw");
        double mib = size / (1024.0 * 1024.0);

        double[] oursS = new double[runs];
        double[] theirsS = new double[runs];
        for (int i = -1; i < runs; i++) { // run -1 warms up both
            long t0 = System.nanoTime();
            ImageConverter.convert(w.qcow2, ours, "raw", CreateOptions.defaults(), false);
            long t1 = System.nanoTime();
            Qcow2Workload.run(List.of(qemu, "convert", "-O", "raw", w.qcow2.toString(), theirs.toString()));
            long t2 = System.nanoTime();
            if (i >= 0) {
                oursS[i] = (t1 - t0) / 1e9;
                theirsS[i] = (t2 - t1) / 1e9;
            }
        }
        Qcow2Workload.run(List.of(qemu, "compare", ours.toString(), theirs.toString()));
        double oursConvert = median(oursS);
        double theirsConvert = median(theirsS);
        double oursBest = Arrays.stream(oursS).min().orElseThrow();
        double theirsBest = Arrays.stream(theirsS).min().orElseThrow();
        System.out.printf(Locale.ROOT, "convert qcow2->raw %.0f MiB, median of %d: amiforge %.3f s (%.0f MiB/s), qemu-img %.3f s (%.0f MiB/s), ratio %.2fx%n",
                mib, runs, oursConvert, mib / oursConvert, theirsConvert, mib / theirsConvert, theirsConvert / oursConvert);
        System.out.printf(Locale.ROOT, "convert qcow2->raw %.0f MiB, best of %d:   amiforge %.3f s (%.0f MiB/s), qemu-img %.3f s (%.0f MiB/s), ratio %.2fx%n",
                mib, runs, oursBest, mib / oursBest, theirsBest, mib / theirsBest, theirsBest / oursBest);

        int count = 200_000;
        long step = (1L << 20) + 4096 * 3;
        String out = Qcow2Workload.run(List.of(qemu, "bench", "-c", String.valueOf(count), "-d", "1", "-s", "4096",
                "-S", String.valueOf(step), "-t", "writeback", "-f", "qcow2", w.qcow2.toString()));
        String out2 = Qcow2Workload.run(List.of(qemu, "bench", "-c", String.valueOf(count), "-d", "1", "-s", "4096",
                "-S", String.valueOf(step), "-t", "writeback", "-f", "qcow2", w.qcow2.toString()));
        double theirsRead = Math.min(seconds(out), seconds(out2));
        double oursRead = Double.MAX_VALUE;
        try (BlockDevice device = ImageFormats.open(w.qcow2, true); Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(4096, 4096);
            for (int rep = 0; rep < 3; rep++) {
                long offset = 0;
                long t0 = System.nanoTime();
                for (int i = 0; i < count; i++) {
                    device.read(offset, buffer);
                    offset += step;
                    if (offset + 4096 > size) {
                        offset %= size;
                        if (offset + 4096 > size) {
                            offset = 0;
                        }
                    }
                }
                oursRead = Math.min(oursRead, (System.nanoTime() - t0) / 1e9);
            }
        }
        System.out.printf(Locale.ROOT,
                "4 KiB reads x %d (depth 1, stride %d): amiforge %.3f s (%.0f reads/s), qemu-img bench %.3f s (%.0f reads/s), ratio %.2fx%n",
                count, step, oursRead, count / oursRead, theirsRead, count / theirsRead, theirsRead / oursRead);

        // qemu-img bench at its default queue depth (64, Linux AIO thread pool) against our
        // device read by two threads (one per core), same offsets split between them.
        String deep = Qcow2Workload.run(List.of(qemu, "bench", "-c", String.valueOf(count), "-s", "4096",
                "-S", String.valueOf(step), "-t", "writeback", "-f", "qcow2", w.qcow2.toString()));
        double theirsDeep = seconds(deep);
        double oursParallel = Double.MAX_VALUE;
        try (BlockDevice device = ImageFormats.open(w.qcow2, true)) {
            for (int rep = 0; rep < 3; rep++) {
                long t0 = System.nanoTime();
                Thread[] threads = new Thread[2];
                for (int t = 0; t < threads.length; t++) {
                    int first = t;
                    threads[t] = Thread.ofPlatform().start(() -> {
                        try (Arena arena = Arena.ofConfined()) {
                            MemorySegment buffer = arena.allocate(4096, 4096);
                            for (int i = first; i < count; i += 2) {
                                long offset = Math.floorMod((long) i * step, size - 4096) & ~4095L;
                                device.read(offset, buffer);
                            }
                        }
                    });
                }
                for (Thread t : threads) {
                    t.join();
                }
                oursParallel = Math.min(oursParallel, (System.nanoTime() - t0) / 1e9);
            }
        }
        System.out.printf(Locale.ROOT, "4 KiB reads x %d (qemu depth 64 / amiforge 2 threads): amiforge %.3f s (%.0f reads/s), "
                + "qemu-img bench %.3f s (%.0f reads/s), ratio %.2fx%n",
                count, oursParallel, count / oursParallel, theirsDeep, count / theirsDeep, theirsDeep / oursParallel);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static double seconds(String qemuBenchOutput) {
        Matcher m = Pattern.compile("Run completed in ([0-9.]+) seconds").matcher(qemuBenchOutput);
        if (!m.find()) {
            throw new IllegalStateException("unexpected qemu-img bench output: " + qemuBenchOutput);
        }
        return Double.parseDouble(m.group(1));
    }
}
