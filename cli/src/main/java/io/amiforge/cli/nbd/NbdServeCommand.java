package io.amiforge.cli.nbd;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.FileBlockDevice;
import io.amiforge.cli.common.CommandBase;
import io.amiforge.cli.common.HostPort;
import io.amiforge.cli.common.Shutdown;
import io.amiforge.nbd.NbdExport;
import io.amiforge.nbd.NbdServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code amiforge nbd serve EXPORT... [--listen HOST:PORT] [--read-only] [--max-connections N]
 * [--idle-timeout SECONDS]}: serves each EXPORT over NBD until SIGINT or SIGTERM, then flushes
 * and closes every device. EXPORT is {@code NAME=PATH} (a raw image file) or a volume/snapshot
 * name of the region's snapshot store.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve raw files, volumes and snapshots over NBD until interrupted.",
                "Example: amiforge nbd serve web-root snap-0123456789abcdef0 --listen 127.0.0.1:10809 --read-only"})
public final class NbdServeCommand extends CommandBase {

    private static volatile CountDownLatch running;

    @Parameters(arity = "1..*", paramLabel = "EXPORT",
            description = {"NAME=PATH of a raw image file, or a volume or snapshot name.", "Example: web-root"})
    List<String> exports;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:10809",
            description = {"Address to listen on (default ${DEFAULT-VALUE}); IPv6 as [::1]:10809.", "Example: --listen 0.0.0.0:10809"})
    String listen;

    @Option(names = "--read-only", description = {"Export everything read-only.", "Example: --read-only"})
    boolean readOnly;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "64",
            description = {"Open connections at most (default ${DEFAULT-VALUE}); more are closed at once.", "Example: --max-connections 16"})
    int maxConnections;

    @Option(names = "--idle-timeout", paramLabel = "SECONDS", defaultValue = "300",
            description = {"Close connections idle this long with nothing in flight (default ${DEFAULT-VALUE}; 0: never).", "Example: --idle-timeout 60"})
    long idleTimeoutSeconds;

    @Override
    protected int execute() throws Exception {
        HostPort address = HostPort.parse(listen);
        NbdServer.Builder builder = NbdServer.builder().listen(address.host(), address.port())
                .maxConnections(maxConnections).idleTimeout(idleTimeout(idleTimeoutSeconds));
        ExportResolver resolver = new StoreExportResolver();
        List<NbdExport> resolved = new ArrayList<>();
        NbdServer server = null;
        try {
            for (String spec : exports) {
                resolved.add(resolve(spec, resolver));
            }
            resolved.forEach(builder::export);
            server = builder.build();
            int port = server.start();
            printServing(address.host(), port, resolved);
        } catch (RuntimeException | Error e) {
            shutdown(server, resolved, resolver);
            throw e;
        }
        awaitShutdown(server, resolved, resolver);
        return 0;
    }

    private static Duration idleTimeout(long seconds) {
        if (seconds < 0 || seconds > Duration.ofDays(365).toSeconds()) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "--idle-timeout " + seconds + " is not 0 (never) or 1 to 31536000 seconds");
        }
        return Duration.ofSeconds(seconds);
    }

    private NbdExport resolve(String spec, ExportResolver resolver) {
        int eq = spec.indexOf('=');
        if (eq > 0) {
            String name = spec.substring(0, eq);
            Path path = Path.of(spec.substring(eq + 1));
            if (!FileBlockDevice.isFile(path)) {
                throw new AmiforgeException(AmiforgeException.Kind.NOT_FOUND, "FileNotFound",
                        "export '" + name + "': " + path + " is not a regular file");
            }
            return new NbdExport(name, FileBlockDevice.open(path, readOnly), readOnly, path.toString());
        }
        if (eq == 0) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "export '" + spec + "' has an empty name (expected NAME=PATH or a volume/snapshot name)");
        }
        NbdExport export = resolver.resolve(spec, readOnly, global());
        if (export == null) {
            throw new AmiforgeException(AmiforgeException.Kind.NOT_FOUND, "InvalidVolume.NotFound",
                    "export '" + spec + "': no volume or snapshot of that name in region " + global().region()
                            + " (raw files are given as NAME=PATH)");
        }
        return export;
    }

    private void printServing(String host, int port, List<NbdExport> resolved) {
        String shownHost = new HostPort(host, port).urlHost();
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        json.put("Listen", shownHost + ":" + port);
        json.put("Port", port);
        var array = json.putArray("Exports");
        StringBuilder text = new StringBuilder("listening on " + shownHost + ":" + port + "\n");
        for (NbdExport e : resolved) {
            String uri = "nbd://" + shownHost + ":" + port + "/" + e.name();
            array.addObject().put("Name", e.name()).put("Size", e.device().size())
                    .put("ReadOnly", e.readOnly()).put("Uri", uri);
            text.append("  ").append(uri).append("  ").append(e.device().size()).append(" bytes")
                    .append(e.readOnly() ? ", read-only" : "").append('\n');
        }
        print(json, text.toString());
    }

    /**
     * Serves until {@link #requestStop} or the process is told to stop; then stops the server,
     * flushes and closes the devices. A stop of the process waits for that ({@link Shutdown#onStop})
     * before the stores are closed, so the devices are flushed while their store is still open.
     */
    private void awaitShutdown(NbdServer server, List<NbdExport> resolved, ExportResolver resolver)
            throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        CountDownLatch stop = new CountDownLatch(1);
        running = stop;
        Shutdown.Registration registration = Shutdown.onStop(stop, stopped); // the serving thread flushes and closes first
        try {
            stop.await();
        } finally {
            registration.close();
            try {
                shutdown(server, resolved, resolver);
            } finally {
                stopped.countDown(); // also when the shutdown failed: the process must not wait for it forever
                running = null;
            }
        }
    }

    /** Stops a running {@code nbd serve} in this JVM as SIGTERM would (for tests and embedding). */
    static void requestStop() {
        CountDownLatch stop = running;
        if (stop != null) {
            stop.countDown();
        }
    }

    private static void shutdown(NbdServer server, List<NbdExport> resolved, ExportResolver resolver) {
        if (server != null) {
            server.close();
        }
        RuntimeException first = null;
        for (NbdExport e : resolved) {
            try {
                if (!e.device().isReadOnly()) {
                    e.device().flush();
                }
            } catch (RuntimeException ex) {
                first = first == null ? ex : first;
            } finally {
                e.device().close();
            }
        }
        if (resolver != null) {
            resolver.close();
        }
        if (first != null) {
            throw first;
        }
    }
}
