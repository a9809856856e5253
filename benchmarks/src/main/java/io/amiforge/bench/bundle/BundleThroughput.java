package io.amiforge.bench.bundle;

import io.amiforge.cloud.bundle.BundleManifest.MachineConfiguration;
import io.amiforge.cloud.bundle.Bundler;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Whole-bundle throughput, amiforge vs the shell pipeline, on one image in one run. Usage:
 * {@code BundleThroughput WORKDIR [SIZE_MIB=512] [ROUNDS=3] [THREADS=2]}. Each round runs every
 * contender once, in turn (so background load hits them alike; {@code sync} before each run);
 * the median round of each is reported as MiB of image per second of wall time and per second
 * of CPU time (user + system), with ratios against the pigz and gzip pipelines.
 */
public final class BundleThroughput {

    private BundleThroughput() {
    }

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args.length > 0 ? args[0] : "target/bundle-bench");
        long mib = args.length > 1 ? Long.parseLong(args[1]) : 512;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        Files.createDirectories(work);
        Path image = work.resolve("image.raw");
        if (!Files.exists(image) || Files.size(image) != mib << 20) {
            System.out.printf("generating %d MiB of semi-compressible data in %s%n", mib, image);
            writeImage(image, mib << 20);
        }
        Path keys = Files.createDirectories(work.resolve("keys"));
        for (String who : List.of("user", "ec2")) {
            if (!Files.exists(keys.resolve(who + ".crt"))) {
                run(keys, "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + who + ".key -out " + who
                        + ".crt -subj /CN=bench-" + who + " -days 2 2>/dev/null");
            }
        }
        Bundler bundler = Bundler.withKeyFiles(keys.resolve("user.crt"), keys.resolve("user.key"),
                keys.resolve("ec2.crt")).withThreads(threads).withDurable(false);
        Bundler durable = bundler.withDurable(true);
        String pipe = "tar -cf - -C %s image.raw | %s | openssl enc -e -aes-128-cbc -K %s -iv %s"
                + " | tee >(sha1sum > ../digest) | split -b 10M - image.raw.part.";
        String key = "00112233445566778899aabbccddeeff";
        String pigz = pipe.formatted(work, "pigz -p" + threads + " -6", key, key);
        String gzip = pipe.formatted(work, "gzip -6", key, key);

        List<List<double[]>> runs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            runs.add(new ArrayList<>());
        }
        String[] names = {"amiforge Bundler (" + threads + " threads, no fsync)",
            "amiforge Bundler (" + threads + " threads, fsync parts)", "shell: tar | pigz -p" + threads
                + " -6 | openssl enc | tee >(sha1sum) | split", "shell: tar | gzip -6 | openssl enc | tee >(sha1sum) | split"};
        timeJava(bundler, image, work.resolve("out-java"), mib); // JIT warm-up, not counted
        for (int r = 0; r < rounds; r++) {
            // pigz and amiforge alternate, each run right after the other, so load changes hit both alike
            runs.get(2).add(timeShell(pigz, work.resolve("out-shell"), mib));
            runs.get(0).add(timeJava(bundler, image, work.resolve("out-java"), mib));
            runs.get(1).add(timeJava(durable, image, work.resolve("out-java"), mib));
            if (r == 0) { // gzip -6 is single-threaded and slow: one round is enough for its figure
                runs.get(3).add(timeShell(gzip, work.resolve("out-shell"), mib));
            }
            System.out.printf(Locale.ROOT, "round %d: pigz pipeline %.1f, amiforge %.1f, amiforge+fsync %.1f MiB/s wall;"
                    + " MiB per CPU-second %.1f / %.1f / %.1f (load %s)%n", r + 1, runs.get(2).get(r)[0],
                    runs.get(0).get(r)[0], runs.get(1).get(r)[0], runs.get(2).get(r)[1], runs.get(0).get(r)[1],
                    runs.get(1).get(r)[1], Files.readString(Path.of("/proc/loadavg")).strip());
        }
        double[] best = new double[4];
        double[] bestCpu = new double[4];
        double[] fastest = new double[4];
        for (int i = 0; i < 4; i++) {
            best[i] = median(runs.get(i), 0);
            bestCpu[i] = median(runs.get(i), 1);
            fastest[i] = runs.get(i).stream().mapToDouble(x -> x[0]).max().orElse(0);
        }
        System.out.printf(Locale.ROOT, "%nimage: %d MiB semi-compressible, median of %d rounds%n", mib, rounds);
        System.out.printf(Locale.ROOT, "%-72s %12s %12s %18s%n", "contender", "median MiB/s", "best MiB/s",
                "MiB per CPU-second");
        for (int i = 0; i < names.length; i++) {
            System.out.printf(Locale.ROOT, "%-72s %12.1f %12.1f %18.1f%n", names[i], best[i], fastest[i], bestCpu[i]);
        }
        System.out.printf(Locale.ROOT, "ratio amiforge / pigz pipeline, best runs: %.2fx%n", fastest[0] / fastest[2]);
        System.out.printf(Locale.ROOT, "ratio amiforge / pigz pipeline: wall %.2fx (with fsync %.2fx), CPU efficiency %.2fx%n",
                best[0] / best[2], best[1] / best[2], bestCpu[0] / bestCpu[2]);
        System.out.printf(Locale.ROOT, "ratio amiforge / gzip pipeline: wall %.2fx, CPU efficiency %.2fx%n",
                best[0] / best[3], bestCpu[0] / bestCpu[3]);
    }

    private static double median(List<double[]> runs, int field) {
        double[] v = runs.stream().mapToDouble(r -> r[field]).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** Flushes dirty pages of the previous run so that no contender pays for another's writeback. */
    private static void settle() throws Exception {
        run(Path.of("."), "sync");
    }

    /** {MiB/s wall, MiB per CPU-second (user + system of this process)}. */
    private static double[] timeJava(Bundler bundler, Path image, Path out, long mib) throws Exception {
        clean(out);
        settle();
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean();
        long c0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        bundler.bundle(image, out, null, "111122223333", MachineConfiguration.of("x86_64"));
        double wall = (System.nanoTime() - t0) / 1e9;
        double cpu = (os.getProcessCpuTime() - c0) / 1e9;
        return new double[] {mib / wall, mib / cpu};
    }

    /** {MiB/s wall, MiB per CPU-second (user + system of the pipeline's processes, from bash's time)}. */
    private static double[] timeShell(String pipeline, Path out, long mib) throws Exception {
        clean(out);
        Files.createDirectories(out);
        settle();
        String output = run(out, "TIMEFORMAT='TIMES %R %U %S'; time ( " + pipeline + " )");
        String line = output.lines().filter(l -> l.startsWith("TIMES ")).reduce((a, b) -> b).orElseThrow();
        String[] t = line.split(" ");
        double wall = Double.parseDouble(t[1]);
        double cpu = Double.parseDouble(t[2]) + Double.parseDouble(t[3]);
        return new double[] {mib / wall, mib / cpu};
    }

    private static String run(Path dir, String command) throws Exception {
        Process p = new ProcessBuilder("bash", "-o", "pipefail", "-c", command).directory(dir.toFile())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException("failed: " + command + "\n" + output);
        }
        return output;
    }

    private static void clean(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            List<Path> all = new ArrayList<>(s.sorted(Comparator.reverseOrder()).toList());
            for (Path p : all) {
                Files.delete(p);
            }
        }
    }

    /** Text-like words mixed with short random runs: gzip -6 gets it to roughly half. */
    static void writeImage(Path file, long size) throws IOException {
        SplittableRandom r = new SplittableRandom(2026);
        String[] words = {"root ", "kernel ", "initrd ", "/boot/vmlinuz ", "console=ttyS0 ", "ext4 ", "xvda1 ",
            "amiforge ", "\n", "0x7c00 ", "libc.so.6 ", "systemd ", "/usr/lib/x86_64-linux-gnu/ "};
        byte[][] w = new byte[words.length][];
        for (int i = 0; i < words.length; i++) {
            w[i] = words[i].getBytes();
        }
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long done = 0; done < size; done += chunk.length) {
                int i = 0;
                while (i < chunk.length) {
                    if (r.nextInt(4) == 0) {
                        int n = Math.min(chunk.length - i, 1 + r.nextInt(24));
                        for (int k = 0; k < n; k++) {
                            chunk[i++] = (byte) r.nextInt(256);
                        }
                    } else {
                        byte[] word = w[r.nextInt(w.length)];
                        int n = Math.min(chunk.length - i, word.length);
                        System.arraycopy(word, 0, chunk, i, n);
                        i += n;
                    }
                }
                out.write(chunk, 0, (int) Math.min(chunk.length, size - done));
            }
        }
    }
}
