package io.amiforge.cli.serve;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.amiforge.cli.cloud.CloudFactory;
import io.amiforge.cli.common.CommandBase;
import io.amiforge.cli.common.HostPort;
import io.amiforge.cli.common.Shutdown;
import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.server.CloudServer;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code amiforge serve [--listen HOST:PORT]}: serves the store's cloud as an EC2 Query and EBS
 * direct endpoint (AWS clients use it with {@code --endpoint-url} and a key from
 * {@code amiforge account create-key}) until SIGINT or SIGTERM.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve the EC2 and EBS direct APIs over the store until interrupted.",
            "Example: amiforge serve --listen 127.0.0.1:8787"})
public final class ServeCommand extends CommandBase {

    private static volatile CountDownLatch running;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8787",
            description = {"Address to listen on (default ${DEFAULT-VALUE}; port 0 picks a free one).", "Example: --listen 0.0.0.0:8787"})
    String listen;

    @Override
    protected int execute() throws Exception {
        HostPort address = HostPort.parse(listen);
        CountDownLatch closed = new CountDownLatch(1);
        try (Cloud cloud = Shutdown.closeOnExit(CloudFactory.open(global().store()));
             CloudServer server = CloudServer.builder(cloud).listen(address.host(), address.port()).build()) {
            int port = server.start();
            String endpoint = "http://" + address.urlHost() + ":" + port;
            ObjectNode json = JsonNodeFactory.instance.objectNode();
            json.put("Endpoint", endpoint);
            json.put("Port", port);
            print(json, "listening on " + endpoint + " (EC2 Query and EBS direct; keys: amiforge account create-key)");
            awaitStop(closed);
        } finally {
            closed.countDown();
        }
        return 0;
    }

    /**
     * Waits for {@link #requestStop} or a stop of the process; a stop of the process then waits
     * ({@link Shutdown#onStop}) until {@code closed}: the server and the cloud are closed here, in
     * order, before the process closes what is left.
     */
    private static void awaitStop(CountDownLatch closed) throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        running = stop;
        Shutdown.Registration registration = Shutdown.onStop(stop, closed);
        try {
            stop.await();
        } finally {
            registration.close();
            running = null;
        }
    }

    /** Stops a running {@code serve} in this JVM as SIGTERM would (for tests and embedding). */
    public static void requestStop() {
        CountDownLatch stop = running;
        if (stop != null) {
            stop.countDown();
        }
    }
}
