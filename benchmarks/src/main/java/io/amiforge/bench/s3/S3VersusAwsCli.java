package io.amiforge.bench.s3;

import io.amiforge.store.s3.S3Config;
import io.amiforge.store.s3.S3Location;
import io.amiforge.store.s3.S3ObjectStore;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Upload and cold-read throughput of {@link S3ObjectStore} against {@code /usr/bin/aws s3 cp} of
 * the same bytes to the same gateway, in one run. Usage: {@code S3VersusAwsCli ENDPOINT WORKDIR
 * [SIZE_MIB=256] [ROUNDS=5] [AWS_CONCURRENCY=10] [AWS_CHUNK_MIB=8] [PART_MIB=16] [PARALLEL=8] [READ_MIB=8]
 * [READ_PARALLEL=8]}
 * (keys from {@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}, else the Ceph fixture's).
 *
 * <p>Each round runs, in turn, aws upload, amiforge upload ({@code putFile}), aws download,
 * amiforge read (parallel ranged GETs into a memory-mapped output file, as aws writes a file);
 * the store is opened anew for every amiforge run, so connection set-up counts as aws's does;
 * the JVM is warmed up first (three uncounted runs of each; the very first, cold, is reported).
 * The aws CLI gets its own config file with {@code max_concurrent_requests},
 * {@code multipart_chunksize} and {@code multipart_threshold} set. Reported: median and range
 * of MiB/s per contender and the ratio of medians, also against aws with its start-up (the time
 * of {@code aws --version}, measured in each round) taken off; peak RSS of each aws run ({@code /usr/bin/time}) and
 * of this JVM ({@code VmHWM}); CPU seconds per run.
 */
public final class S3VersusAwsCli {

    static final String AWS = "/usr/bin/aws";

    private S3VersusAwsCli() {
    }

    public static void main(String[] args) throws Exception {
        String endpoint = args[0];
        Path work = Files.createDirectories(Path.of(args[1]));
        long mib = args.length > 2 ? Long.parseLong(args[2]) : 256;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        int awsConcurrency = args.length > 4 ? Integer.parseInt(args[4]) : 10;
        int awsChunk = args.length > 5 ? Integer.parseInt(args[5]) : 8;
        long partMib = args.length > 6 ? Long.parseLong(args[6]) : 16;
        int parallel = args.length > 7 ? Integer.parseInt(args[7]) : 8;
        long readMib = args.length > 8 ? Long.parseLong(args[8]) : 8;
        int readParallel = args.length > 9 ? Integer.parseInt(args[9]) : 8;
        String ak = System.getenv().getOrDefault("AWS_ACCESS_KEY_ID", "testaccesskey");
        String sk = System.getenv().getOrDefault("AWS_SECRET_ACCESS_KEY", "testsecretkey");
        long size = mib << 20;
        Path data = work.resolve("data.bin");
        if (!Files.exists(data) || Files.size(data) != size) {
            writeRandom(data, size);
        }
        Path awsConfig = work.resolve("aws-config");
        Files.writeString(awsConfig, """
                [default]
                region = us-east-1
                s3 =
                  max_concurrent_requests = %d
                  max_queue_size = 10000
                  multipart_threshold = %dMB
                  multipart_chunksize = %dMB
                """.formatted(awsConcurrency, awsChunk, awsChunk));
        S3Config config = S3Config.defaults().withEndpoint(endpoint).withKeys(ak, sk)
                .withUpload(partMib << 20, parallel).withRead(readMib << 20, readParallel);
        try (S3ObjectStore store = new S3ObjectStore(S3Location.parse("s3://bench"), config)) {
            store.createBucketIfAbsent();
        }
        List<String> env = awsEnvironment(awsConfig, ak, sk);
        String[] names = {"aws s3 cp upload", "amiforge putFile", "aws s3 cp download", "amiforge read",
            "aws upload - start-up", "aws download - start-up"};
        List<List<double[]>> runs = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            runs.add(new ArrayList<>());
        }
        List<Double> startups = new ArrayList<>();
        // JIT warm-up, not counted (a long-running store process is warm after its first few hundred MiB);
        // the first run of each, in a cold JVM, is reported apart
        double[] coldUpload = javaUpload(config, data, size);
        double[] coldRead = javaRead(config, work.resolve("out-java"), size);
        for (int i = 0; i < 3; i++) {
            javaUpload(config, data, size);
            javaRead(config, work.resolve("out-java"), size);
        }
        System.out.printf(Locale.ROOT, "cold JVM (first run, not counted): upload %.1f MiB/s (CPU %.2f s), read %.1f MiB/s"
                + " (CPU %.2f s)%n", coldUpload[0], coldUpload[1], coldRead[0], coldRead[1]);
        for (int r = 0; r < rounds; r++) {
            // aws's own start-up (Python, botocore) measured in the same round, to show its share of the wall time
            double startup = aws(env, List.of(AWS, "--version"), 0)[0];
            startups.add(startup);
            double[] up = aws(env, List.of(AWS, "--endpoint-url", endpoint, "s3", "cp", "--only-show-errors",
                    data.toString(), "s3://bench/aws-object"), size);
            runs.get(0).add(up);
            runs.get(4).add(withoutStartup(up, size, startup));
            runs.get(1).add(javaUpload(config, data, size));
            Files.deleteIfExists(work.resolve("out-aws"));
            double[] down = aws(env, List.of(AWS, "--endpoint-url", endpoint, "s3", "cp", "--only-show-errors",
                    "s3://bench/aws-object", work.resolve("out-aws").toString()), size);
            runs.get(2).add(down);
            runs.get(5).add(withoutStartup(down, size, startup));
            runs.get(3).add(javaRead(config, work.resolve("out-java"), size));
            if (Files.mismatch(data, work.resolve("out-java")) != -1 || Files.mismatch(data, work.resolve("out-aws")) != -1) {
                throw new IllegalStateException("a downloaded copy differs from " + data);
            }
            System.out.printf(Locale.ROOT, "round %d: upload aws %.1f amiforge %.1f MiB/s; download aws %.1f amiforge %.1f"
                    + " MiB/s (load %s)%n", r + 1, runs.get(0).get(r)[0], runs.get(1).get(r)[0], runs.get(2).get(r)[0],
                    runs.get(3).get(r)[0], Files.readString(Path.of("/proc/loadavg")).strip());
        }
        System.out.printf(Locale.ROOT, "%d MiB, %d rounds; aws: max_concurrent_requests=%d, chunk %d MiB; amiforge: %d MiB"
                + " parts, %d in flight, %d MiB ranges, %d in flight; aws start-up (aws --version) %s s%n", mib, rounds,
                awsConcurrency, awsChunk, partMib, parallel, readMib, readParallel, startups);
        for (int i = 0; i < names.length; i++) {
            double[] mibs = runs.get(i).stream().mapToDouble(v -> v[0]).sorted().toArray();
            double[] cpu = runs.get(i).stream().mapToDouble(v -> v[1]).sorted().toArray();
            double[] rss = runs.get(i).stream().mapToDouble(v -> v[2]).sorted().toArray();
            System.out.printf(Locale.ROOT, "%-20s median %7.1f MiB/s (min %.1f, max %.1f), CPU %.2f s/run, peak RSS %.0f MiB%n",
                    names[i], mibs[mibs.length / 2], mibs[0], mibs[mibs.length - 1], cpu[cpu.length / 2],
                    rss[rss.length - 1]);
        }
        System.out.printf(Locale.ROOT, "ratio amiforge/aws (medians): upload %.2fx, read %.2fx;"
                + " against aws with its start-up subtracted: upload %.2fx, read %.2fx%n",
                median(runs.get(1)) / median(runs.get(0)), median(runs.get(3)) / median(runs.get(2)),
                median(runs.get(1)) / median(runs.get(4)), median(runs.get(3)) / median(runs.get(5)));
    }

    /** The environment of an aws run: its own config file and these keys, no shared credentials file. */
    static List<String> awsEnvironment(Path config, String accessKey, String secretKey) {
        return List.of("AWS_CONFIG_FILE=" + config, "AWS_ACCESS_KEY_ID=" + accessKey,
                "AWS_SECRET_ACCESS_KEY=" + secretKey, "AWS_SHARED_CREDENTIALS_FILE=/dev/null");
    }

    /** An aws run's figures with {@code startup} seconds taken off its wall time. */
    private static double[] withoutStartup(double[] run, long size, double startup) {
        double seconds = (size >> 20) / run[0] - startup;
        return new double[] {(size >> 20) / seconds, run[1], run[2]};
    }

    private static double median(List<double[]> runs) {
        double[] v = runs.stream().mapToDouble(x -> x[0]).sorted().toArray();
        return v[v.length / 2];
    }

    /** {MiB/s, CPU s, peak RSS MiB} of one putFile, with a store opened for it. */
    private static double[] javaUpload(S3Config config, Path data, long size) {
        long cpu = cpuNanos();
        long t0 = System.nanoTime();
        try (S3ObjectStore store = new S3ObjectStore(S3Location.parse("s3://bench"), config)) {
            store.putFile("java-object", data, 0, size);
        }
        return result(size, t0, cpu);
    }

    /** {MiB/s, CPU s, peak RSS MiB} of one read of the whole object into a memory-mapped file. */
    private static double[] javaRead(S3Config config, Path out, long size) throws IOException {
        Files.deleteIfExists(out);
        long cpu = cpuNanos();
        long t0 = System.nanoTime();
        try (S3ObjectStore store = new S3ObjectStore(S3Location.parse("s3://bench"), config);
             FileChannel channel = FileChannel.open(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                     StandardOpenOption.WRITE)) {
            MappedByteBuffer target = channel.map(FileChannel.MapMode.READ_WRITE, 0, size);
            store.read("java-object", 0, target);
        }
        return result(size, t0, cpu);
    }

    private static double[] result(long size, long t0, long cpu) {
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new double[] {(size >> 20) / seconds, (cpuNanos() - cpu) / 1e9, peakRssMib()};
    }

    /** {MiB/s, CPU s, peak RSS MiB} of one aws run, measured by /usr/bin/time. */
    static double[] aws(List<String> env, List<String> command, long size) throws Exception {
        Path timing = Files.createTempFile("aws-time", ".txt");
        List<String> full = new ArrayList<>(List.of("/usr/bin/time", "-o", timing.toString(), "-f", "%e %U %S %M"));
        full.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(full).inheritIO();
        for (String kv : env) {
            int eq = kv.indexOf('=');
            builder.environment().put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        int exit = builder.start().waitFor();
        if (exit != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed with exit " + exit);
        }
        String[] f = Files.readString(timing).trim().split("\\s+");
        Files.delete(timing);
        double seconds = Double.parseDouble(f[f.length - 4]);
        return new double[] {size == 0 ? seconds : (size >> 20) / seconds,
            Double.parseDouble(f[f.length - 3]) + Double.parseDouble(f[f.length - 2]), Long.parseLong(f[f.length - 1]) / 1024.0};
    }

    static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static double peakRssMib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("\\D+", "")) / 1024.0;
                }
            }
        } catch (IOException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }

    static void writeRandom(Path file, long size) throws IOException {
        SplittableRandom random = new SplittableRandom(42);
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long done = 0; done < size; done += block.length) {
                for (int i = 0; i < block.length; i += 8) {
                    long v = random.nextLong();
                    for (int b = 0; b < 8; b++) {
                        block[i + b] = (byte) (v >>> (8 * b));
                    }
                }
                out.write(block, 0, (int) Math.min(block.length, size - done));
            }
        }
    }
}
