package io.amiforge.bench.formats;

import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageConverter;
import io.amiforge.imagefmt.format.ImageSource;
import java.io.IOException;
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
 * round by round after one warm-up round each. Prints median, fastest and slowest seconds and
 * the ratio of medians (qemu / ours: above 1 means amiforge is faster), and checks every result
 * with {@code qemu-img compare}. Neither tool fsyncs (qemu-img convert does not by default);
 * every output is deleted before each timed step, untimed.
 *
 * <p>Workload: {@code sizeMiB} of raw, in 1 MiB runs: a quarter holes, a quarter random bytes,
 * half compressible text-like data (a few words repeated with random variations), fixed seed.
 * Usage: {@code java -cp benchmarks.jar io.amiforge.bench.formats.FormatsVersusQemu [sizeMiB] [runs] [formats,...]}.
 */
public final class FormatsVersusQemu {

    private FormatsVersusQemu() {
    }

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
                double[][] s = alternate(runs, oursImage, theirsImage,
                        () -> ImageConverter.convert(ImageSource.of(raw).withFormat("raw"), oursImage, t.format(), t.options(), false),
                        () -> qemu(concat(List.of("convert", "-f", "raw", "-O", t.format()), t.qemuOptions(),
                                List.of(raw.toString(), theirsImage.toString()))));
                qemu(List.of("compare", "-f", t.format(), "-F", "raw", oursImage.toString(), raw.toString()));
                report("raw -> " + t.label(), mib, s);
            } else {
                qemu(concat(List.of("convert", "-f", "raw", "-O", t.format()), t.qemuOptions(), List.of(raw.toString(), theirsImage.toString())));
            }
            Path oursRaw = dir.resolve("ours-back.raw");
            Path theirsRaw = dir.resolve("theirs-back.raw");
            double[][] s = alternate(runs, oursRaw, theirsRaw,
                    () -> ImageConverter.convert(ImageSource.of(theirsImage).withFormat(t.format()), oursRaw, "raw", CreateOptions.defaults(), false),
                    () -> qemu(List.of("convert", "-f", t.format(), "-O", "raw", theirsImage.toString(), theirsRaw.toString())));
            qemu(List.of("compare", "-f", "raw", "-F", "raw", oursRaw.toString(), raw.toString()));
            report(t.label() + " -> raw", mib, s);
        }
    }

    /** Seconds of {@code ours} and {@code theirs}, run alternately, after one untimed round of each. */
    private static double[][] alternate(int runs, Path ourOutput, Path theirOutput, Step ours, Step theirs) throws Exception {
        double[] a = new double[runs];
        double[] b = new double[runs];
        for (int i = -1; i < runs; i++) {
            // Outputs are removed first (untimed): replacing a big file costs ext4 an early writeback
            // of the new one (auto_da_alloc) for amiforge's rename and qemu-img's O_TRUNC alike.
            Files.deleteIfExists(ourOutput);
            Files.deleteIfExists(theirOutput);
            long t0 = System.nanoTime();
            ours.run();
            long t1 = System.nanoTime();
            theirs.run();
            long t2 = System.nanoTime();
            if (i >= 0) {
                a[i] = (t1 - t0) / 1e9;
                b[i] = (t2 - t1) / 1e9;
            }
        }
        return new double[][] {a, b};
    }

    /** One timed step. */
    @FunctionalInterface
    private interface Step {
        void run() throws Exception;
    }

    private static void report(String what, double mib, double[][] s) {
        double[] a = s[0].clone();
        double[] b = s[1].clone();
        Arrays.sort(a);
        Arrays.sort(b);
        double ma = a[a.length / 2];
        double mb = b[b.length / 2];
        System.out.printf(Locale.ROOT, "%-32s amiforge median %.3f s (%.0f MiB/s, %.3f-%.3f) | qemu-img median %.3f s (%.0f MiB/s, %.3f-%.3f) | ratio %.2fx%n",
                what, ma, mib / ma, a[0], a[a.length - 1], mb, mib / mb, b[0], b[b.length - 1], mb / ma);
    }

    private static List<String> concat(List<String> a, List<String> b, List<String> c) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        all.addAll(c);
        return all;
    }

    private static void qemu(List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("qemu-img");
        command.addAll(args);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IOException("command failed: " + command + "\n" + out);
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
