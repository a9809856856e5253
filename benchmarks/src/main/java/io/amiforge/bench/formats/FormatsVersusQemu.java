package io.amiforge.bench.formats;

import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageConverter;
import io.amiforge.imagefmt.format.ImageSource;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Plain-main harness: for each target (vpc dynamic and fixed, vmdk monolithicSparse and
 * streamOptimized, qcow2 compressed with zstd, and dynamic vhdx), converts the same raw
 * workload to the format with {@link ImageConverter} in process and with {@code qemu-img
 * convert}, then converts qemu-img's image back to raw with both, alternating the two tools
 * round by round after one warm-up round each. qemu-img runs in each of {@link #QEMU_MODES} every
 * round (its default of 8 coroutines with in-order writes, {@code -W} out-of-order writes, and
 * {@code -W -m 16}); each is reported, and the ratio is taken against the fastest of them. Prints
 * median, fastest and slowest seconds and the ratio of medians (qemu / ours: above 1 means
 * amiforge is faster), the output sizes of the format writes, and checks every result with
 * {@code qemu-img compare}. Neither tool fsyncs (qemu-img convert does not by default); every
 * output is deleted before each timed step, untimed.
 *
 * <p>Workload: {@code sizeMiB} of raw, in 1 MiB runs: a quarter holes, a quarter random bytes,
 * half compressible text-like data (a few words repeated with random variations), fixed seed.
 * Usage: {@code java -cp benchmarks.jar io.amiforge.bench.formats.FormatsVersusQemu [sizeMiB] [runs] [formats,...]}.
 */
public final class FormatsVersusQemu {

    private FormatsVersusQemu() {
    }

    /** qemu-img convert's option sets tried every round: its default, out-of-order writes, and more coroutines. */
    private static final List<List<String>> QEMU_MODES = List.of(List.of(), List.of("-W"), List.of("-W", "-m", "16"));

    /** One target: our format name and options, and the same for qemu-img. */
    private record Target(String label, String format, CreateOptions options, List<String> qemuOptions, boolean weWrite) {
    }

    public static void main(String[] args) throws Exception {
        long size = (args.length > 0 ? Long.parseLong(args[0]) : 256) << 20;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "amiforge-bench-formats");
        Files.createDirectories(dir);
        Path raw = workload(dir.resolve("workload.raw"), size);
        CreateOptions d = CreateOptions.defaults();
        List<Target> targets = List.of(
                new Target("vpc dynamic", "vpc", d, List.of("-o", "subformat=dynamic,force_size=on"), true),
                new Target("vpc fixed", "vpc", d.withSubformat("fixed"), List.of("-o", "subformat=fixed,force_size=on"), true),
                new Target("vmdk monolithicSparse", "vmdk", d, List.of("-o", "subformat=monolithicSparse"), true),
                new Target("vmdk streamOptimized", "vmdk", d.withSubformat("streamOptimized"), List.of("-o", "subformat=streamOptimized"), true),
                new Target("qcow2 -c zstd", "qcow2", d.withCompressionType("zstd").withCompressed(true),
                        List.of("-c", "-o", "compression_type=zstd"), true),
                new Target("vhdx dynamic", "vhdx", d, List.of("-o", "subformat=dynamic"), true));
        String only = args.length > 2 ? args[2] : null; // e.g. "vhdx": only the targets whose format is named
        double mib = size / 1048576.0;
        System.out.printf(Locale.ROOT, "workload %.0f MiB, %d timed rounds per tool after one warm-up%n", mib, runs);
        for (Target t : targets) {
            if (only != null && !List.of(only.split(",")).contains(t.format())) {
                continue;
            }
            Path theirsImage = dir.resolve("theirs." + t.format());
            if (t.weWrite()) {
                Path oursImage = dir.resolve("ours." + t.format());
                Timings s = alternate(runs, oursImage, theirsImage,
                        () -> ImageConverter.convert(ImageSource.of(raw).withFormat("raw"), oursImage, t.format(), t.options(), false),
                        mode -> qemu(concat(concat(List.of("convert", "-f", "raw", "-O", t.format()), mode, t.qemuOptions()),
                                List.of(raw.toString(), theirsImage.toString()))));
                qemu(List.of("compare", "-f", t.format(), "-F", "raw", oursImage.toString(), raw.toString()));
                report("raw -> " + t.label(), mib, s);
                System.out.printf(Locale.ROOT, "  output size: amiforge %d bytes, qemu-img %d bytes%n", Files.size(oursImage), Files.size(theirsImage));
                // the image read back below is qemu-img's, written in its default mode
                Files.deleteIfExists(theirsImage);
                qemu(concat(List.of("convert", "-f", "raw", "-O", t.format()), t.qemuOptions(), List.of(raw.toString(), theirsImage.toString())));
            } else {
                qemu(concat(List.of("convert", "-f", "raw", "-O", t.format()), t.qemuOptions(), List.of(raw.toString(), theirsImage.toString())));
            }
            Path oursRaw = dir.resolve("ours-back.raw");
            Path theirsRaw = dir.resolve("theirs-back.raw");
            Timings s = alternate(runs, oursRaw, theirsRaw,
                    () -> ImageConverter.convert(ImageSource.of(theirsImage).withFormat(t.format()), oursRaw, "raw", CreateOptions.defaults(), false),
                    mode -> qemu(concat(List.of("convert", "-f", t.format(), "-O", "raw"), mode,
                            List.of(theirsImage.toString(), theirsRaw.toString()))));
            qemu(List.of("compare", "-f", "raw", "-F", "raw", oursRaw.toString(), raw.toString()));
            report(t.label() + " -> raw", mib, s);
        }
    }

    /**
     * Wall and CPU seconds of {@code ours} and of {@code theirs} in each of {@link #QEMU_MODES},
     * run one after the other every round, after one untimed round of each: index 0 ours,
     * {@code 1 + m} mode m. Our CPU time is the whole JVM's (GC and JIT included); qemu-img's is
     * its user + system time from {@code /usr/bin/time}.
     */
    private static Timings alternate(int runs, Path ourOutput, Path theirOutput, Step ours, QemuStep theirs) throws Exception {
        Timings t = new Timings(new double[1 + QEMU_MODES.size()][runs], new double[1 + QEMU_MODES.size()][runs]);
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        for (int i = -1; i < runs; i++) {
            // Outputs are removed first (untimed): replacing a big file costs ext4 an early writeback
            // of the new one (auto_da_alloc) for amiforge's rename and qemu-img's O_TRUNC alike.
            Files.deleteIfExists(ourOutput);
            long c0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            ours.run();
            if (i >= 0) {
                t.wall[0][i] = (System.nanoTime() - t0) / 1e9;
                t.cpu[0][i] = (os.getProcessCpuTime() - c0) / 1e9;
            }
            for (int m = 0; m < QEMU_MODES.size(); m++) {
                Files.deleteIfExists(theirOutput);
                long t1 = System.nanoTime();
                double cpu = theirs.run(QEMU_MODES.get(m));
                if (i >= 0) {
                    t.wall[1 + m][i] = (System.nanoTime() - t1) / 1e9;
                    t.cpu[1 + m][i] = cpu;
                }
            }
        }
        return t;
    }

    /** Wall and CPU seconds, {@code [side][round]}. */
    private record Timings(double[][] wall, double[][] cpu) {
    }

    /** One timed step. */
    @FunctionalInterface
    private interface Step {
        void run() throws Exception;
    }

    /** One timed qemu-img step with the given extra options; returns its CPU seconds. */
    @FunctionalInterface
    private interface QemuStep {
        double run(List<String> mode) throws Exception;
    }

    private static void report(String what, double mib, Timings t) {
        double[][] s = t.wall();
        double ours = median(s[0]);
        int best = 1;
        for (int m = 1; m < s.length; m++) {
            double[] b = s[m].clone();
            Arrays.sort(b);
            System.out.printf(Locale.ROOT, "  qemu-img %-12s median %.3f s (%.0f MiB/s, %.3f-%.3f), CPU %.3f s%n",
                    QEMU_MODES.get(m - 1).isEmpty() ? "(default)" : String.join(" ", QEMU_MODES.get(m - 1)),
                    b[b.length / 2], mib / b[b.length / 2], b[0], b[b.length - 1], median(t.cpu()[m]));
            if (median(s[m]) < median(s[best])) {
                best = m;
            }
        }
        double[] a = s[0].clone();
        Arrays.sort(a);
        double theirs = median(s[best]);
        String mode = QEMU_MODES.get(best - 1).isEmpty() ? "default" : String.join(" ", QEMU_MODES.get(best - 1));
        System.out.printf(Locale.ROOT, "%-32s amiforge median %.3f s (%.0f MiB/s, %.3f-%.3f) | best qemu-img (%s) median %.3f s (%.0f MiB/s) | ratio %.2fx%n",
                what, ours, mib / ours, a[0], a[a.length - 1], mode, theirs, mib / theirs, theirs / ours);
        System.out.printf(Locale.ROOT, "  CPU: amiforge median %.3f s, qemu-img (%s) median %.3f s: ratio %.2fx%n",
                median(t.cpu()[0]), mode, median(t.cpu()[best]), median(t.cpu()[best]) / median(t.cpu()[0]));
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v[v.length / 2];
    }

    private static List<String> concat(List<String> a, List<String> b, List<String> c) {
        return concat(concat(a, b), c);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** Runs qemu-img with {@code args}; returns its CPU seconds (user + system). */
    private static double qemu(List<String> args) throws IOException, InterruptedException {
        Path times = Files.createTempFile("qemu-time", ".txt");
        try {
            List<String> command = new ArrayList<>(List.of("/usr/bin/time", "-f", "%U %S", "-o", times.toString(), "qemu-img"));
            command.addAll(args);
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            String out = new String(process.getInputStream().readAllBytes());
            if (process.waitFor() != 0) {
                throw new IOException("command failed: " + command + "\n" + out);
            }
            String[] userSystem = Files.readAllLines(times).getLast().trim().split(" ");
            return Double.parseDouble(userSystem[0]) + Double.parseDouble(userSystem[1]);
        } finally {
            Files.deleteIfExists(times);
        }
    }

    private static Path workload(Path file, long size) throws IOException {
        if (Files.exists(file) && Files.size(file) == size) {
            return file;
        }
        Random random = new Random(2026);
        byte[] chunk = new byte[1 << 20];
        String[] words = {"boot ", "kernel ", "root=/dev/xvda1 ", "console=ttyS0 ", "amiforge ", "snapshot ", "\n"};
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (long pos = 0; pos < size; pos += chunk.length) {
                int kind = random.nextInt(4);
                if (kind == 0) {
                    continue;
                }
                if (kind == 1) {
                    random.nextBytes(chunk);
                } else {
                    int at = 0;
                    while (at < chunk.length) {
                        byte[] w = (random.nextInt(16) == 0 ? Integer.toString(random.nextInt()) : words[random.nextInt(words.length)])
                                .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                        int n = Math.min(w.length, chunk.length - at);
                        System.arraycopy(w, 0, chunk, at, n);
                        at += n;
                    }
                }
                channel.write(ByteBuffer.wrap(chunk), pos);
            }
            channel.truncate(size);
            if (channel.size() < size) {
                channel.write(ByteBuffer.wrap(new byte[1]), size - 1);
            }
        }
        return file;
    }
}
