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
        try (Cloud cloud = Shutdown.closeOnExit(CloudFactory.open(global().store()));
             CloudServer server = CloudServer.builder(cloud).listen(address.host(), address.port()).build()) {
            int port = server.start();
            String endpoint = "http://" + address.urlHost() + ":" + port;
            ObjectNode json = JsonNodeFactory.instance.objectNode();
            json.put("Endpoint", endpoint);
            json.put("Port", port);
            print(json, "listening on " + endpoint + " (EC2 Query and EBS direct; keys: amiforge account create-key)");
            awaitStop();
        }
        return 0;
    }

    private static void awaitStop() throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        running = stop;
        Thread hook = Thread.ofPlatform().name("amiforge-serve-shutdown").unstarted(stop::countDown);
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            stop.await();
        } finally {
            running = null;
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down: the hook is running
            }
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
