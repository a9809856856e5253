package io.amiforge.examples.nbdexport;

import io.amiforge.nbd.NbdServer;
import java.util.concurrent.CountDownLatch;

/**
 * Serves a {@link StripeDevice} as the NBD export {@code stripes} until the process is killed:
 *
 * <pre>{@code
 * java -cp ... io.amiforge.examples.nbdexport.NbdExportExample 127.0.0.1 10809
 * nbdinfo --map nbd://127.0.0.1:10809/stripes
 * qemu-img convert -O raw nbd://127.0.0.1:10809/stripes stripes.raw
 * }</pre>
 */
public final class NbdExportExample {

    /** The export's name. */
    public static final String EXPORT = "stripes";

    private NbdExportExample() {
    }

    /**
     * Starts a server on {@code host:port} (0: any free port) exporting {@code device} read-only
     * as {@value #EXPORT}; the caller closes the server, then the device.
     */
    public static NbdServer serve(StripeDevice device, String host, int port) {
        NbdServer server = NbdServer.builder().listen(host, port)
                .export(EXPORT, device, true, "computed stripes, odd ones are holes").build();
        server.start();
        return server;
    }

    /** {@code [HOST [PORT]]}, default 127.0.0.1 10809; a 64 MiB device in 1 MiB stripes. */
    public static void main(String[] args) throws InterruptedException {
        String host = args.length > 0 ? args[0] : "127.0.0.1";
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 10809;
        StripeDevice device = new StripeDevice("stripes", 64L << 20, 1L << 20, 0x5EED_0000_0000_0000L);
        NbdServer server = serve(device, host, port);
        System.out.println("serving nbd://" + host + ":" + server.port() + "/" + EXPORT + " (" + device + "); Ctrl-C stops");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            device.close();
        }));
        new CountDownLatch(1).await();
    }
}
