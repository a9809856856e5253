package io.amiforge.bench.s3;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.Volume;
import io.amiforge.store.VolumeOptions;
import io.amiforge.store.remote.RemoteOptions;
import io.amiforge.store.remote.RemoteSnapshotStore;
import io.amiforge.store.s3.S3Config;
import io.amiforge.store.s3.S3Location;
import io.amiforge.store.s3.S3ObjectStore;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The snapshot store on an S3 gateway, measured against {@code /usr/bin/aws s3 cp} of the same
 * bytes in one run. Usage: {@code RemoteStoreFigures ENDPOINT WORKDIR [SIZE_MIB=128] [ROUNDS=5]}
 * (keys from {@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}, else the Ceph fixture's).
 *
 * <p>Each round, alternating: aws uploads the data file; a fresh store handle snapshots a volume
 * holding the same bytes (pack, upload, commit: {@code createSnapshot}); aws downloads the
 * object; a second handle with a cold cache reads the whole snapshot (8 readers over disjoint
 * 8 MiB pieces, as a client with queue depth would). Then, on the warm cache, random 4 KiB reads
 * of the remote snapshot against the same snapshot in the local store (one thread, 200,000
 * reads each, alternated three times). Last, commit latency: 2 and then 8 handles (hosts) each
 * snapshot their own 1 MiB volume 40 times at once, one changed block per snapshot.
 */
public final class RemoteStoreFigures {

    private static final String AWS = S3VersusAwsCli.AWS;

    private RemoteStoreFigures() {
    }

    public static void main(String[] args) throws Exception {
        String endpoint = args[0];
        Path work = Files.createDirectories(Path.of(args[1]));
        long mib = args.length > 2 ? Long.parseLong(args[2]) : 128;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        String ak = System.getenv().getOrDefault("AWS_ACCESS_KEY_ID", "testaccesskey");
        String sk = System.getenv().getOrDefault("AWS_SECRET_ACCESS_KEY", "testsecretkey");
        long size = mib << 20;
        Path data = work.resolve("data.bin");
        S3VersusAwsCli.writeRandom(data, size);
        Path awsConfig = work.resolve("aws-config");
        Files.writeString(awsConfig, "[default]\nregion = us-east-1\n");
        List<String> env = S3VersusAwsCli.awsEnvironment(awsConfig, ak, sk);
        S3Config config = S3Config.defaults().withEndpoint(endpoint).withKeys(ak, sk);
        try (S3ObjectStore bucket = new S3ObjectStore(S3Location.parse("s3://rsbench/x"), config)) {
            bucket.createBucketIfAbsent();
        }
        System.out.printf(Locale.ROOT, "machine: %d cores, load %s; %d MiB, %d rounds%n", Runtime.getRuntime().availableProcessors(),
                load(), mib, rounds);
        double[][] figures = new double[4][rounds];
        String lastId = null;
        Path lastHost = null;
        for (int r = 0; r < rounds; r++) {
            figures[0][r] = S3VersusAwsCli.aws(env, List.of(AWS, "--endpoint-url", endpoint, "s3", "cp", "--only-show-errors",
                    data.toString(), "s3://rsbench/aws-" + r), size)[0];
            Path host = work.resolve("host-" + r);
            try (S3ObjectStore objects = new S3ObjectStore(S3Location.parse("s3://rsbench/store"), config);
                    RemoteSnapshotStore a = RemoteSnapshotStore.open(objects, host, RemoteOptions.defaults())) {
                try (Volume v = a.local().createVolume("v" + r, size, VolumeOptions.defaults())) {
                    copyInto(data, v, size);
                }
                long t0 = System.nanoTime();
                lastId = a.createSnapshot("v" + r, "round " + r).id();
                figures[1][r] = mib / ((System.nanoTime() - t0) / 1e9);
            }
            lastHost = host;
            Path out = work.resolve("aws-out");
            Files.deleteIfExists(out);
            figures[2][r] = S3VersusAwsCli.aws(env, List.of(AWS, "--endpoint-url", endpoint, "s3", "cp", "--only-show-errors",
                    "s3://rsbench/aws-" + r, out.toString()), size)[0];
            try (S3ObjectStore objects = new S3ObjectStore(S3Location.parse("s3://rsbench/store"), config);
                    RemoteSnapshotStore b = RemoteSnapshotStore.open(objects, work.resolve("reader-" + r), RemoteOptions.defaults());
                    BlockDevice device = b.openSnapshot(lastId)) {
                long t0 = System.nanoTime();
                readInParallel(device, size, 8);
                figures[3][r] = mib / ((System.nanoTime() - t0) / 1e9);
            }
            System.out.printf(Locale.ROOT, "round %d: upload aws %.1f, snapshot create %.1f MiB/s; read aws %.1f, cold read %.1f"
                    + " MiB/s (load %s)%n", r + 1, figures[0][r], figures[1][r], figures[2][r], figures[3][r], load());
        }
        String[] names = {"aws s3 cp upload", "amiforge snapshot create", "aws s3 cp download", "amiforge cold read"};
        for (int i = 0; i < names.length; i++) {
            double[] v = figures[i].clone();
            Arrays.sort(v);
            System.out.printf(Locale.ROOT, "%-26s median %7.1f MiB/s (min %.1f, max %.1f)%n", names[i], v[v.length / 2], v[0],
                    v[v.length - 1]);
        }
        System.out.printf(Locale.ROOT, "ratio amiforge/aws (medians): upload %.2fx, cold read %.2fx%n",
                median(figures[1]) / median(figures[0]), median(figures[3]) / median(figures[2]));
        warmReads(config, lastHost, work.resolve("warm"), lastId, size);
        for (int writers : new int[] {2, 8}) {
            commitLatency(config, work.resolve("commits-" + writers), writers, 40);
        }
        System.out.printf(Locale.ROOT, "peak RSS %.0f MiB%n", S3VersusAwsCli.peakRssMib());
    }

    private static void warmReads(S3Config config, Path publisher, Path readerDir, String id, long size) throws Exception {
        try (S3ObjectStore objects = new S3ObjectStore(S3Location.parse("s3://rsbench/store"), config);
                RemoteSnapshotStore b = RemoteSnapshotStore.open(objects, readerDir, RemoteOptions.defaults());
                RemoteSnapshotStore a = RemoteSnapshotStore.open(objects, publisher, RemoteOptions.defaults());
                BlockDevice remote = b.openSnapshot(id)) {
            readInParallel(remote, size, 8); // warm the cache
            String localId = a.local().listSnapshots().getLast().id();
            try (BlockDevice local = a.local().openSnapshot(localId)) {
                double[] remoteRates = new double[3];
                double[] localRates = new double[3];
                for (int i = 0; i < 3; i++) {
                    remoteRates[i] = randomReads(remote, size, 200_000, 7 + i);
                    localRates[i] = randomReads(local, size, 200_000, 7 + i);
                }
                System.out.printf(Locale.ROOT, "warm random 4 KiB reads: remote %s, local %s reads/s; ratio of medians %.2fx"
                        + " (load %s)%n", Arrays.toString(round(remoteRates)), Arrays.toString(round(localRates)),
                        median(remoteRates) / median(localRates), load());
            }
        }
    }

    private static void commitLatency(S3Config config, Path dir, int writers, int snapshots) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        List<Future<long[]>> results = new ArrayList<>();
        String prefix = "s3://rsbench/commits-" + writers;
        for (int w = 0; w < writers; w++) {
            Path host = dir.resolve("host-" + w);
            String volume = "w" + w;
            results.add(pool.submit(() -> {
                long[] latencies = new long[snapshots];
                byte[] block = new byte[4096];
                SplittableRandom random = new SplittableRandom(volume.hashCode());
                try (S3ObjectStore objects = new S3ObjectStore(S3Location.parse(prefix), config);
                        RemoteSnapshotStore store = RemoteSnapshotStore.open(objects, host, RemoteOptions.defaults());
                        Volume v = store.local().createVolume(volume, 1 << 20, VolumeOptions.defaults())) {
                    for (int i = 0; i < snapshots; i++) {
                        Arrays.fill(block, (byte) i);
                        v.write(random.nextInt(256) * 4096L, MemorySegment.ofArray(block));
                        long t0 = System.nanoTime();
                        store.createSnapshot(volume, "s" + i);
                        latencies[i] = System.nanoTime() - t0;
                    }
                }
                return latencies;
            }));
        }
        long[] all = new long[writers * snapshots];
        int n = 0;
        for (Future<long[]> f : results) {
            for (long l : f.get()) {
                all[n++] = l;
            }
        }
        pool.shutdown();
        Arrays.sort(all);
        try (S3ObjectStore objects = new S3ObjectStore(S3Location.parse(prefix), config);
                RemoteSnapshotStore check = RemoteSnapshotStore.open(objects, dir.resolve("check"), RemoteOptions.defaults())) {
            List<SnapshotInfo> listed = check.listSnapshots();
            System.out.printf(Locale.ROOT, "commit latency, %d writers x %d snapshots: p50 %.1f ms, p99 %.1f ms, max %.1f ms;"
                    + " %d of %d commits listed afterwards (load %s)%n", writers, snapshots, all[all.length / 2] / 1e6,
                    all[(int) (all.length * 0.99)] / 1e6, all[all.length - 1] / 1e6, listed.size(), all.length, load());
        }
    }

    private static double randomReads(BlockDevice device, long size, int count, long seed) {
        MemorySegment buf = Arena.ofAuto().allocate(4096, 4096);
        SplittableRandom random = new SplittableRandom(seed);
        long blocks = size / 4096;
        long t0 = System.nanoTime();
        for (int i = 0; i < count; i++) {
            device.read(random.nextLong(blocks) * 4096, buf);
        }
        return count / ((System.nanoTime() - t0) / 1e9);
    }

    private static void readInParallel(BlockDevice device, long size, int readers) throws Exception {
        long piece = 8L << 20;
        ExecutorService pool = Executors.newFixedThreadPool(readers);
        List<Future<?>> work = new ArrayList<>();
        AtomicLong next = new AtomicLong();
        for (int t = 0; t < readers; t++) {
            work.add(pool.submit(() -> {
                MemorySegment buf = Arena.ofAuto().allocate(piece, 4096);
                for (long at = next.getAndAdd(piece); at < size; at = next.getAndAdd(piece)) {
                    device.read(at, buf.asSlice(0, Math.min(piece, size - at)));
                }
                return null;
            }));
        }
        for (Future<?> f : work) {
            f.get();
        }
        pool.shutdown();
    }

    private static void copyInto(Path data, Volume volume, long size) throws Exception {
        try (FileChannel channel = FileChannel.open(data, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            for (long at = 0; at < size; at += 1 << 20) {
                volume.write(at, mapped.asSlice(at, Math.min(1 << 20, size - at)));
            }
            volume.flush();
        }
    }

    private static long[] round(double[] v) {
        return Arrays.stream(v).mapToLong(Math::round).toArray();
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static String load() throws Exception {
        return Files.readString(Path.of("/proc/loadavg")).strip();
    }
}
