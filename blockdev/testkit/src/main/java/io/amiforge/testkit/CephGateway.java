package io.amiforge.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A throw-away single-node Ceph cluster with the RADOS Gateway (S3 API) for tests: one monitor,
 * one memstore OSD and radosgw, started by {@code ../shared/ceph-rgw/start-ceph-rgw.sh} in a
 * temporary directory and stopped (exactly those daemons) by {@link #close()}.
 *
 * <p>{@link #start()} skips the calling test with a message when Debian's {@code ceph-mon},
 * {@code ceph-osd}, {@code radosgw} or {@code ceph-common} or the scripts are missing, and fails
 * instead under {@code AMIFORGE_REQUIRE_INTEROP=1} (see {@link Interop}). Tests that use it are
 * tagged {@code interop} and {@code ceph}. {@link #stopGateway()} and {@link #startGateway()}
 * stop and restart radosgw alone (same port, same data), for tests of an endpoint that goes
 * away and comes back.
 */
public final class CephGateway implements AutoCloseable {

    /** The gateway's S3 user (fixed by the start script). */
    public static final String ACCESS_KEY = "testaccesskey";
    /** The secret key of {@link #ACCESS_KEY}. */
    public static final String SECRET_KEY = "testsecretkey";
    /** The region requests are signed for (RGW accepts any; this is the SDK's usual one). */
    public static final String REGION = "us-east-1";

    private static final Duration START_DEADLINE = Duration.ofSeconds(120);
    private static final String RGW = "client.rgw";

    private final Path workDir;
    private final Path scripts;
    private final int port;
    private final URI endpoint;

    private CephGateway(Path workDir, Path scripts, int port, URI endpoint) {
        this.workDir = workDir;
        this.scripts = scripts;
        this.port = port;
        this.endpoint = endpoint;
    }

    /**
     * Starts a cluster in a new temporary directory on a free port (trying again on another port
     * when the start fails, as when another test grabbed the port first); skips or fails the test
     * when the packages or scripts are absent.
     */
    public static CephGateway start() {
        for (String tool : List.of("ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "ceph", "monmaptool")) {
            Interop.tool(tool);
        }
        Path scripts = Interop.fixtures().resolveSibling("ceph-rgw");
        Interop.file(scripts.resolve("start-ceph-rgw.sh"), "the Ceph start script (../shared/ceph-rgw)");
        AssertionError last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            Path dir;
            try {
                dir = Files.createTempDirectory("amiforge-ceph-");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a work directory for Ceph", e);
            }
            int port = freePort();
            try {
                Processes.Result started = Processes.command(scripts.resolve("start-ceph-rgw.sh").toString(),
                        dir.resolve("w").toString(), Integer.toString(port)).deadline(START_DEADLINE).run().orFail();
                Map<String, String> vars = variables(started.stdoutText());
                URI endpoint = URI.create(Optional.ofNullable(vars.get("S3_ENDPOINT")).orElseThrow(() ->
                        new AssertionError("start-ceph-rgw.sh printed no S3_ENDPOINT:\n" + started.output())));
                return new CephGateway(dir.resolve("w"), scripts, port, endpoint);
            } catch (AssertionError e) {
                last = e;
            }
        }
        throw last;
    }

    /** The S3 endpoint, {@code http://127.0.0.1:PORT}. */
    public URI endpoint() {
        return endpoint;
    }

    /** The cluster's directory (configuration, logs, data of a bluestore OSD). */
    public Path workDir() {
        return workDir;
    }

    /** Stops radosgw alone (SIGTERM, then SIGKILL after 5 s); the cluster keeps its data. */
    public void stopGateway() {
        ProcessHandle.of(gatewayPid()).ifPresent(p -> {
            p.destroy();
            try {
                p.onExit().get(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                p.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        waitUntil(() -> !listening(), "radosgw to stop listening on port " + port);
    }

    /** Starts radosgw again on the same port after {@link #stopGateway()}; returns once it answers. */
    public void startGateway() {
        Path log = workDir.resolve("log").resolve(RGW + ".out");
        ProcessBuilder builder = new ProcessBuilder(Interop.tool("radosgw").toString(), "-n", RGW, "-c", workDir.resolve("ceph.conf").toString(), "-f")
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectErrorStream(true);
        long pid;
        try {
            pid = builder.start().pid();
        } catch (IOException e) {
            throw new AssertionError("cannot restart radosgw: " + e.getMessage(), e);
        }
        replaceGatewayPid(pid);
        waitUntil(this::answering, "the restarted radosgw to answer on port " + port + " (see " + log + ")");
    }

    @Override
    public void close() {
        Processes.command(scripts.resolve("stop-ceph-rgw.sh").toString(), workDir.toString()).run().orFail();
        try (var files = Files.walk(workDir.getParent())) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a leftover temporary directory harms nothing
        }
    }

    private long gatewayPid() {
        for (String line : pidLines()) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 2 && f[1].equals(RGW)) {
                return Long.parseLong(f[0]);
            }
        }
        throw new AssertionError("no " + RGW + " in " + workDir.resolve("pids"));
    }

    private void replaceGatewayPid(long pid) {
        List<String> lines = new ArrayList<>();
        for (String line : pidLines()) {
            if (!line.trim().endsWith(" " + RGW)) {
                lines.add(line);
            }
        }
        lines.add(pid + " " + RGW);
        try {
            Files.write(workDir.resolve("pids"), lines);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private List<String> pidLines() {
        try {
            return Files.readAllLines(workDir.resolve("pids"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private boolean listening() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether radosgw answers an HTTP request (listening alone comes a little earlier). */
    private boolean answering() {
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build()) {
            return client.send(HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() > 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited 30 s for " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + what, e);
            }
        }
    }

    private static Map<String, String> variables(String stdout) {
        Map<String, String> vars = new HashMap<>();
        for (String line : stdout.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                vars.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
            }
        }
        return vars;
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port for radosgw", e);
        }
    }
}
