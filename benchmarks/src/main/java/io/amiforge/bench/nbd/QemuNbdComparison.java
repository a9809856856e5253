package io.amiforge.bench.nbd;

import io.amiforge.blockdev.FileBlockDevice;
import io.amiforge.nbd.NbdServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code qemu-img bench} (4 KiB requests, queue depth 16, scattered offsets) over NBD against
 * amiforge's {@link NbdServer} and against {@code qemu-nbd}, both serving the same raw file in
 * the same run, rounds interleaved. Prints requests per second per server and the ratio
 * amiforge / qemu-nbd (higher is better for amiforge).
 *
 * <p>Arguments (all optional): {@code --size BYTES} (default 256 MiB), {@code --count N}
 * requests per run (default 20000), {@code --depth D} (16), {@code --rounds R} (3),
 * {@code --dir DIR} (a temporary directory), {@code --uncached} (drop the file from the page
 * cache before each read run; default: warm cache).
 */
public final class QemuNbdComparison {

    private static final Pattern COMPLETED = Pattern.compile("Run completed in ([0-9.]+) seconds");
    /** A stride of 10007 pages (prime) spreads successive requests over the whole file. */
    private static final long STEP = 4096L * 10007;

    private QemuNbdComparison() {
    }

    public static void main(String[] args) throws Exception {
        long size = 256L << 20;
        int count = 20_000;
        int depth = 16;
        int rounds = 3;
        boolean uncached = false;
        Path dir = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--size" -> size = Long.parseLong(args[++i]);
                case "--count" -> count = Integer.parseInt(args[++i]);
                case "--depth" -> depth = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--dir" -> dir = Path.of(args[++i]);
                case "--uncached" -> uncached = true;
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Path work = dir != null ? Files.createDirectories(dir) : Files.createTempDirectory("nbd-bench");
        Path image = work.resolve("bench.raw");
        createImage(image, size);

        FileBlockDevice device = FileBlockDevice.open(image, false);
        NbdServer server = NbdServer.builder().listen("127.0.0.1", 0).export("bench", device, false, null).build();
        int ourPort = server.start();
        int qemuPort = freePort();
        Process qemuNbd = new ProcessBuilder("qemu-nbd", "-x", "bench", "-f", "raw", "-p", Integer.toString(qemuPort),
                "--bind", "127.0.0.1", "--persistent", image.toString()).redirectErrorStream(true)
                .redirectOutput(work.resolve("qemu-nbd.log").toFile()).start();
        try {
            awaitPort(qemuPort);
            System.out.printf(Locale.ROOT, "qemu-img bench: %d requests of 4096 bytes, depth %d, step %d, image %d MiB, %s%n",
                    count, depth, STEP, size >> 20, uncached ? "page cache dropped before each read run" : "warm page cache");
            System.out.printf(Locale.ROOT, "%-6s %-10s %12s %12s %8s%n", "mode", "round", "amiforge/s", "qemu-nbd/s", "ratio");
            for (String mode : List.of("read", "write")) {
                // warm-up, not recorded: lets the JIT compile amiforge's request path (qemu-nbd is native)
                bench(mode, ourPort, Math.max(2000, count / 2), depth);
                bench(mode, qemuPort, Math.max(500, count / 20), depth);
                double[] ours = new double[rounds];
                double[] theirs = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    boolean oursFirst = r % 2 == 0; // alternate who runs first
                    for (int k = 0; k < 2; k++) {
                        boolean us = (k == 0) == oursFirst;
                        if (uncached && mode.equals("read")) {
                            dropCache(image);
                        }
                        double iops = bench(mode, us ? ourPort : qemuPort, count, depth);
                        if (us) {
                            ours[r] = iops;
                        } else {
                            theirs[r] = iops;
                        }
                    }
                    System.out.printf(Locale.ROOT, "%-6s %-10d %12.0f %12.0f %8.2f%n", mode, r + 1, ours[r], theirs[r],
                            ours[r] / theirs[r]);
                }
                double o = median(ours);
                double t = median(theirs);
                System.out.printf(Locale.ROOT, "%-6s %-10s %12.0f %12.0f %8.2f%n", mode, "median", o, t, o / t);
            }
        } finally {
            qemuNbd.destroy();
            qemuNbd.waitFor(10, TimeUnit.SECONDS);
            server.close();
            device.close();
            if (dir == null) {
                Files.deleteIfExists(image);
                Files.deleteIfExists(work.resolve("qemu-nbd.log"));
                Files.deleteIfExists(work);
            }
        }
    }

    private static double bench(String mode, int port, int count, int depth) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("qemu-img", "bench", "-f", "raw", "-c", Integer.toString(count),
                "-d", Integer.toString(depth), "-s", "4096", "-S", Long.toString(STEP)));
        if (mode.equals("write")) {
            command.add("-w");
        }
        command.add("nbd://127.0.0.1:" + port + "/bench");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException("qemu-img bench failed: " + command + "\n" + out);
        }
        Matcher m = COMPLETED.matcher(out);
        if (!m.find()) {
            throw new IOException("no result in qemu-img bench output:\n" + out);
        }
        return count / Double.parseDouble(m.group(1));
    }

    private static void createImage(Path image, long size) throws IOException {
        Random random = new Random(1);
        byte[] chunk = new byte[1 << 20];
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (long at = 0; at < size; at += chunk.length) {
                random.nextBytes(chunk);
                ch.write(ByteBuffer.wrap(chunk, 0, (int) Math.min(chunk.length, size - at)), at);
            }
            ch.force(false);
        }
    }

    /** Evicts the (clean) file from the page cache with posix_fadvise(DONTNEED), through python3. */
    private static void dropCache(Path image) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("python3", "-c",
                "import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); "
                        + "os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)", image.toString())
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        p.waitFor(1, TimeUnit.MINUTES);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void awaitPort(int port) throws IOException, InterruptedException {
        for (int i = 0; i < 100; i++) { // bounded: 10 s
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IOException("qemu-nbd did not start listening on port " + port);
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
