package io.amiforge.bench.transfer;

import io.amiforge.store.SnapshotStore;
import io.amiforge.store.Volume;
import io.amiforge.transfer.ChainExporter;
import io.amiforge.transfer.ChainImporter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Import and export against {@code qemu-img convert}, in one run, alternating, each case
 * {@code rounds} times (default 5): wall time (median, min-max) and peak RSS (median).
 *
 * <ul>
 *   <li>{@code raw}: a sparse raw image ({@code amiforge.bench.size}, default 64 GiB) holding
 *       {@code amiforge.bench.data} bytes (default 1 GiB) in scattered extents of random bytes
 *       ({@code amiforge.bench.extent} bytes each, default 1 MiB): our import (durable: fsync and catalog commit) vs {@code qemu-img convert -O qcow2}
 *       with its default cache ({@code unsafe}: no flush), {@code -t writeback} (one flush at the
 *       end, our durability), {@code -t none} and {@code -W}.</li>
 *   <li>{@code chain}: a 4-layer qcow2 chain built with qemu-img/qemu-io over that raw (base =
 *       the raw as qcow2; each upper layer 512 writes of 64 KiB and 64 zeroed 64 KiB ranges):
 *       our import (one snapshot per layer) vs {@code qemu-img convert -O qcow2} of the top.</li>
 *   <li>{@code export}: the imported raw volume exported raw (sparse, fsynced) vs
 *       {@code qemu-img convert -O raw} of the base qcow2 (same bytes), default cache,
 *       {@code -t writeback} and {@code -t writeback -W}; ours both in this JVM and in a JVM of
 *       its own started for the one export ({@code export raw: amiforge, own JVM}: start, JIT
 *       warm-up and the whole process's peak RSS counted, as qemu-img's are, but no start-up
 *       cache), and the product's command as users run it ({@code export raw: amiforge CLI}:
 *       {@code amiforge --store DIR volume export v FILE} through the launcher, with its AOT cache
 *       and JVM options, from a store the CLI imported; {@code -Damiforge.bench.launcher=PATH},
 *       default {@code ./amiforge}).</li>
 * </ul>
 * {@code -Damiforge.bench.cases=import raw,export raw} runs only the cases whose names start
 * with one of those (default: all three); an export without its import imports once, untimed.
 * Before every case {@code sync} writes back what earlier cases left dirty (outside the timing).
 * Our peak RSS is this JVM's high-water mark reset before each run ({@code /proc/self/clear_refs});
 * qemu-img's is its own, from {@code /usr/bin/time}. That the bytes survive is the tests' job
 * ({@code FastImportTest} compares with qemu-img byte for byte); comparing 64 GiB files here
 * would cost more than the runs. Usage: {@code ImportExportComparison DIR [rounds]}
 * ({@code ImportExportComparison --export-once DIR} is the own-JVM export case's child).
 */
public final class ImportExportComparison {

    private static final long SIZE = Long.getLong("amiforge.bench.size", 64L << 30);
    private static final long DATA = Long.getLong("amiforge.bench.data", 1L << 30);
    private static final int EXTENT = Integer.getInteger("amiforge.bench.extent", 1 << 20);
    private static final List<String> CASES = List.of(System.getProperty("amiforge.bench.cases",
            "import raw,import chain,export raw").split(","));
    /** The {@code amiforge} launcher the CLI case runs (a worktree's root script). */
    private static final Path LAUNCHER = Path.of(System.getProperty("amiforge.bench.launcher", "amiforge")).toAbsolutePath();
    private static final String CLI_CASE = "export raw: amiforge CLI";

    private final Path dir;
    private final Map<String, List<double[]>> results = new LinkedHashMap<>();

    private ImportExportComparison(Path dir) {
        this.dir = dir;
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("--export-once")) {
            new ImportExportComparison(Path.of(args[1])).exportRaw(); // the own-JVM case's child
            return;
        }
        Path dir = Path.of(args[0]);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Files.createDirectories(dir);
        new ImportExportComparison(dir).run(rounds);
    }

    private void run(int rounds) throws Exception {
        Path raw = dir.resolve("sparse.raw");
        Path base = dir.resolve("chain-1.qcow2");
        Path top = dir.resolve("chain-4.qcow2");
        System.out.printf("input: %d-byte sparse raw, %d bytes of data in %d-byte extents; 4-layer qcow2 chain%n",
                SIZE, DATA, EXTENT);
        writeSparseRaw(raw);
        if (selected("import chain")) {
            buildChain(raw);
        }
        if (selected("export raw") && !selected("import raw")) {
            importInto("raw", raw); // what the export reads, untimed
        }
        if (selected(CLI_CASE)) {
            cliImport(raw); // the store the CLI case exports from, in the CLI's layout, untimed
        }
        if (selected("export raw") && !Files.exists(base)) {
            // qemu-img exports the base qcow2, which holds the same bytes as the imported volume
            exec("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw.toString(), base.toString());
        }
        for (int round = 0; round < rounds; round++) {
            System.out.println("round " + (round + 1) + " of " + rounds);
            boolean oursFirst = round % 2 == 0;
            for (int side = 0; side < 2; side++) {
                if ((side == 0) == oursFirst) {
                    ours("import raw: amiforge", () -> delete(dir.resolve("store-raw")), () -> importInto("raw", raw));
                    ours("import chain: amiforge", () -> delete(dir.resolve("store-chain")), () -> importInto("chain", top));
                    ours("export raw: amiforge", this::exportRaw);
                    ownJvm("export raw: amiforge, own JVM");
                    cli(CLI_CASE);
                } else {
                    qemu("import raw: qemu-img convert -O qcow2", "convert", "-f", "raw", "-O", "qcow2", raw, "out.qcow2");
                    qemu("import raw: qemu-img convert -O qcow2 -t writeback", "convert", "-t", "writeback", "-f", "raw",
                            "-O", "qcow2", raw, "out.qcow2");
                    qemu("import raw: qemu-img convert -O qcow2 -t none", "convert", "-t", "none", "-f", "raw", "-O",
                            "qcow2", raw, "out.qcow2");
                    qemu("import raw: qemu-img convert -O qcow2 -W", "convert", "-W", "-f", "raw", "-O", "qcow2", raw,
                            "out.qcow2");
                    qemu("import chain: qemu-img convert -O qcow2", "convert", "-O", "qcow2", top, "out.qcow2");
                    qemu("import chain: qemu-img convert -O qcow2 -t writeback", "convert", "-t", "writeback", "-O",
                            "qcow2", top, "out.qcow2");
                    qemu("export raw: qemu-img convert -O raw", "convert", "-f", "qcow2", "-O", "raw", base, "out.raw");
                    qemu("export raw: qemu-img convert -O raw -t writeback", "convert", "-t", "writeback", "-f", "qcow2",
                            "-O", "raw", base, "out.raw");
                    qemu("export raw: qemu-img convert -O raw -t writeback -W", "convert", "-t", "writeback", "-W", "-f",
                            "qcow2", "-O", "raw", base, "out.raw");
                }
            }
        }
        report();
    }

    // ---- our side ----------------------------------------------------------------------------

    /** Imports {@code image} as volume v of the new store {@code store-NAME} (removed before, untimed). */
    private void importInto(String name, Path image) {
        Path store = dir.resolve("store-" + name);
        try (SnapshotStore s = SnapshotStore.open(store)) {
            ChainImporter.importImage(s, "v", image);
        }
    }

    private void exportRaw() {
        Path store = dir.resolve("store-raw");
        Path out = dir.resolve("export.raw");
        try (SnapshotStore s = SnapshotStore.open(store); Volume v = s.openVolume("v")) {
            ChainExporter.exportFlat(v, out, "raw");
        }
    }

    /** Our export in a child JVM of its own, timed and measured (peak RSS) as qemu-img is. */
    private void ownJvm(String name) throws Exception {
        if (!selected(name)) {
            return;
        }
        Files.deleteIfExists(dir.resolve("export.raw"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        timed(name, List.of("/usr/bin/time", "-f", "%e %M", java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), ImportExportComparison.class.getName(), "--export-once",
                dir.toString()));
    }

    /** Imports {@code raw} as volume v of a new store through the launcher, as a user would. */
    private void cliImport(Path raw) throws Exception {
        requireLauncher();
        Path store = dir.resolve("store-cli");
        delete(store);
        exec(LAUNCHER.toString(), "--store", store.toString(), "volume", "import", "v", raw.toString());
    }

    /**
     * The product's own command, as users run it: {@code amiforge --store DIR volume export v
     * FILE} through the launcher (its AOT cache and JVM options; the launcher's own checks
     * counted), timed and measured under {@code /usr/bin/time} as qemu-img is. Same durability as
     * the in-process case: the data, then one fdatasync of the file.
     */
    private void cli(String name) throws Exception {
        if (!selected(name)) {
            return;
        }
        Path out = dir.resolve("export.raw");
        Files.deleteIfExists(out);
        timed(name, List.of("/usr/bin/time", "-f", "%e %M", LAUNCHER.toString(), "--store", dir.resolve("store-cli").toString(),
                "volume", "export", "v", out.toString()));
    }

    private static void requireLauncher() {
        if (!Files.isExecutable(LAUNCHER)) {
            throw new IllegalStateException("no amiforge launcher at " + LAUNCHER + " (run from the project root or set"
                    + " -Damiforge.bench.launcher=PATH)");
        }
    }

    private static boolean selected(String name) {
        return CASES.stream().anyMatch(c -> name.startsWith(c.trim()));
    }

    private void ours(String name, Runnable op) throws Exception {
        ours(name, () -> { }, op);
    }

    /**
     * Times {@code op} after {@code before} (untimed: it removes what the last run of the case
     * left, as qemu-img's output is removed after each of its runs, so that nobody pays for
     * freeing the last output; an import's old store took 0.3 s of 1.3 s to delete).
     */
    private void ours(String name, Runnable before, Runnable op) throws Exception {
        if (!selected(name)) {
            return;
        }
        Files.deleteIfExists(dir.resolve("export.raw"));
        before.run();
        settle();
        Files.writeString(Path.of("/proc/self/clear_refs"), "5"); // resets VmHWM
        long t0 = System.nanoTime();
        op.run();
        double seconds = (System.nanoTime() - t0) / 1e9;
        record(name, seconds, peakRssKib());
    }

    private static long peakRssKib() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    // ---- qemu-img ----------------------------------------------------------------------------

    private void qemu(String name, Object... args) throws Exception {
        if (!selected(name)) {
            return;
        }
        List<String> command = new ArrayList<>(List.of("/usr/bin/time", "-f", "%e %M", "qemu-img"));
        for (Object a : args) {
            String arg = a.toString();
            command.add(arg.startsWith("out.") ? dir.resolve(arg).toString() : arg); // outputs go beside the inputs
        }
        timed(name, command);
        Files.deleteIfExists(dir.resolve("out.qcow2"));
        Files.deleteIfExists(dir.resolve("out.raw"));
    }

    /** Runs {@code command} (under {@code /usr/bin/time -f "%e %M"}) after {@link #settle}; records its time and peak RSS. */
    private void timed(String name, List<String> command) throws Exception {
        Path err = dir.resolve("time.txt");
        settle();
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(err.toFile()).start();
        if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " failed: " + Files.readString(err));
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        List<String> lines = Files.readAllLines(err, StandardCharsets.UTF_8);
        String[] last = lines.getLast().trim().split(" ");
        record(name, seconds, Long.parseLong(last[1]));
    }

    /** Writes back what earlier cases left dirty, so that no case pays for another's writeback. */
    private static void settle() throws Exception {
        exec("sync");
    }

    // ---- inputs ------------------------------------------------------------------------------

    private static void writeSparseRaw(Path raw) throws IOException {
        long slots = SIZE / EXTENT;
        int extents = (int) (DATA / EXTENT);
        long[] chosen = new Random(13).longs(0, slots).distinct().limit(extents).sorted().toArray();
        SplittableRandom bytes = new SplittableRandom(42);
        ByteBuffer buf = ByteBuffer.allocateDirect(EXTENT);
        try (FileChannel out = FileChannel.open(raw, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            out.truncate(0);
            for (long slot : chosen) {
                buf.clear();
                while (buf.hasRemaining()) {
                    buf.putLong(bytes.nextLong());
                }
                buf.flip();
                while (buf.hasRemaining()) {
                    out.write(buf, slot * EXTENT + buf.position());
                }
            }
            if (out.size() < SIZE) {
                out.write(ByteBuffer.allocate(1), SIZE - 1); // the file's size; the last byte reads as zero
            }
        }
    }

    private void buildChain(Path raw) throws Exception {
        exec("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw.toString(), dir.resolve("chain-1.qcow2").toString());
        SplittableRandom random = new SplittableRandom(7);
        long clusters = SIZE / 65536;
        for (int layer = 2; layer <= 4; layer++) {
            Path file = dir.resolve("chain-" + layer + ".qcow2");
            exec("qemu-img", "create", "-q", "-f", "qcow2", "-b", "chain-" + (layer - 1) + ".qcow2", "-F", "qcow2",
                    file.toString());
            List<String> io = new ArrayList<>(List.of("qemu-io", "-f", "qcow2"));
            for (int i = 0; i < 576; i++) {
                long offset = random.nextLong(clusters) * 65536;
                io.add("-c");
                io.add(i < 512 ? "write -P " + ((layer * 17 + i) % 250 + 1) + " " + offset + " 64k" : "write -z " + offset + " 64k");
            }
            io.add(file.toString());
            exec(io.toArray(String[]::new));
        }
    }

    private static void exec(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(command[0] + " failed (exit " + (p.isAlive() ? "none: timed out" : p.exitValue()) + ")");
        }
    }

    // ---- results -----------------------------------------------------------------------------

    private void record(String name, double seconds, long rssKib) {
        results.computeIfAbsent(name, k -> new ArrayList<>()).add(new double[] {seconds, rssKib});
        System.out.printf("  %-52s %8.3f s  %8d KiB peak RSS%n", name, seconds, rssKib);
    }

    private void report() {
        System.out.println();
        System.out.printf("%-52s %9s %19s %12s %4s%n", "case", "median s", "min-max s", "median RSS", "n");
        Map<String, Double> medians = new LinkedHashMap<>();
        for (Map.Entry<String, List<double[]>> e : results.entrySet()) {
            double[] secs = e.getValue().stream().mapToDouble(r -> r[0]).sorted().toArray();
            double[] rss = e.getValue().stream().mapToDouble(r -> r[1]).sorted().toArray();
            double median = median(secs);
            medians.put(e.getKey(), median);
            System.out.printf("%-52s %9.3f %9.3f-%-9.3f %9.0f MiB %4d%n", e.getKey(), median, secs[0],
                    secs[secs.length - 1], median(rss) / 1024, secs.length);
        }
        System.out.println();
        for (String area : List.of("import raw", "import chain", "export raw")) {
            for (String side : List.of("amiforge", "amiforge, own JVM", "amiforge CLI")) {
                Double ours = medians.get(area + ": " + side);
                if (ours == null) {
                    continue;
                }
                medians.entrySet().stream().filter(m -> m.getKey().startsWith(area + ": qemu-img"))
                        .sorted(Comparator.comparing(Map.Entry::getKey))
                        .forEach(m -> System.out.printf("%-52s %.2fx (qemu-img median / %s)%n", m.getKey() + " vs "
                                + side, m.getValue() / ours, side));
            }
        }
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static void delete(Path path) {
        if (!Files.exists(path)) {
            return;
        }
        try (var walk = Files.walk(path)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new IllegalStateException("cannot delete " + path, e);
        }
    }
}
