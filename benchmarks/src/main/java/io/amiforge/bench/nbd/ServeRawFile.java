package io.amiforge.bench.nbd;

import io.amiforge.blockdev.FileBlockDevice;
import io.amiforge.nbd.NbdServer;
import java.nio.file.Path;

/**
 * Serves one raw file read-write over NBD as export {@code bench} on 127.0.0.1 until standard
 * input closes, so that a script can put amiforge beside {@code nbdkit file} and {@code qemu-nbd}
 * and drive all three with the same client ({@code fio --ioengine=nbd}, {@code nbdcopy}).
 * Prints {@code ready PORT} once it listens.
 *
 * <p>Arguments: {@code FILE PORT}; the system properties {@code ioThreads}, {@code readThreads},
 * {@code inlineReadLimit}, {@code inlineWriteLimit}, {@code connectionBufferLimit},
 * {@code sendfile} and {@code streamReads} set the {@link NbdServer.Builder} settings of those names.
 */
public final class ServeRawFile {

    private ServeRawFile() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: ServeRawFile FILE PORT");
            System.exit(2);
        }
        NbdServer.Builder builder = NbdServer.builder();
        Integer ioThreads = Integer.getInteger("ioThreads");
        if (ioThreads != null) {
            builder.ioThreads(ioThreads);
        }
        try (FileBlockDevice device = FileBlockDevice.open(Path.of(args[0]), false);
                NbdServer server = builder.listen("127.0.0.1", Integer.parseInt(args[1]))
                        .readThreads(Integer.getInteger("readThreads", NbdServer.DEFAULT_READ_THREADS))
                        .inlineReadLimit(Integer.getInteger("inlineReadLimit", NbdServer.DEFAULT_INLINE_READ_LIMIT))
                        .inlineWriteLimit(Integer.getInteger("inlineWriteLimit", NbdServer.DEFAULT_INLINE_WRITE_LIMIT))
                        .connectionBufferLimit(Long.getLong("connectionBufferLimit",
                                NbdServer.DEFAULT_CONNECTION_BUFFER_LIMIT))
                        .sendfile(Boolean.getBoolean("sendfile"))
                        .streamReads(!"false".equals(System.getProperty("streamReads")))
                        .export("bench", device, false, null).build()) {
            System.out.println("ready " + server.start());
            System.out.flush();
            while (System.in.read() >= 0) {
                // wait for the script to close our standard input
            }
        }
    }
}
