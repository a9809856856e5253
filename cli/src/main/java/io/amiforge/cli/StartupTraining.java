package io.amiforge.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The training run from which the {@code ./amiforge} launcher builds the JVM's ahead-of-time
 * cache (JEP 483/514/515): runs a short, representative set of one-shot commands in this one
 * process, all with {@code --json}, on a throwaway store in a new temporary directory, which
 * it deletes again: volume, snapshot and image commands, and {@code volume import} and
 * {@code volume export} of raw and qcow2 images. It never touches the user's store.
 *
 * <p>Exits 0 when every command gave the exit code expected of it (so the cache is built from
 * working paths), else prints the failing command and its output on stderr and exits 1.
 */
public final class StartupTraining {

    /** Size of the sparse raw file the bulk commands are trained on. */
    private static final long SPARSE_SIZE = 256L << 20;
    /** Data extents in it. */
    private static final int EXTENTS = 128;
    /** Bytes per data extent. */
    private static final int EXTENT = 64 * 1024;

    private StartupTraining() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Files.createTempDirectory("amiforge-startup-training");
        int exit;
        try {
            exit = train(dir);
        } finally {
            deleteTree(dir);
        }
        System.exit(exit);
    }

    /**
     * Runs the training commands ({@link #plan}) in {@code dir} (an empty directory that the
     * caller deletes); 0 when each gave the exit code expected of it and the raw export gave back
     * the bytes imported, else 1 (the failure said on stderr).
     */
    static int train(Path dir) throws IOException {
        byte[] bytes = new byte[256 * 1024];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 31 + (i >>> 12));
        }
        Files.write(dir.resolve("data.raw"), bytes);
        writeSparse(dir.resolve("sparse.raw"));
        for (String[] command : plan(dir)) {
            if (!ran(command, true)) {
                return 1;
            }
        }
        // the export path must have worked, not only exited 0: the cache would hold a broken run's profile
        long mismatch = Files.mismatch(dir.resolve("sparse.raw"), dir.resolve("export.raw"));
        if (mismatch != -1) {
            System.err.println("amiforge start-up training: export.raw differs from sparse.raw at byte " + mismatch);
            return 1;
        }
        // The error path (a JSON error document and a message on stderr) is part of a one-shot run too.
        return ran(new String[] {"--json", "--store", dir.resolve("store").toString(), "snapshot", "create", "no-such-volume"},
                false) ? 0 : 1;
    }

    /**
     * The commands of a training run in {@code dir}, each expected to succeed: volume and snapshot
     * commands, image conversion and information, and the bulk paths of {@code volume import} and
     * {@code volume export}, raw and qcow2 (a sparse raw with scattered extents imported, exported
     * raw and qcow2, the qcow2 imported again), so that their classes and method profiles are in
     * the cache too (they started cold before: docs/cli-start.md).
     */
    static List<String[]> plan(Path dir) {
        String store = dir.resolve("store").toString();
        String data = dir.resolve("data.raw").toString();
        String sparse = dir.resolve("sparse.raw").toString();
        String qcow2 = dir.resolve("data.qcow2").toString();
        String exportQcow2 = dir.resolve("export.qcow2").toString();
        return List.of(
                new String[] {"--help"},
                new String[] {"--json", "--store", store, "volume", "create", "--size", "64M", "train"},
                new String[] {"--json", "--store", store, "volume", "write", "--input", data, "--offset", "0", "train"},
                new String[] {"--json", "--store", store, "snapshot", "create", "train"},
                new String[] {"--json", "--store", store, "snapshot", "list"},
                new String[] {"--json", "--store", store, "volume", "list"},
                new String[] {"--json", "--store", store, "image", "convert", data, qcow2, "-O", "qcow2"},
                new String[] {"--json", "--store", store, "image", "info", qcow2},
                new String[] {"--json", "--store", store, "image", "info", data},
                new String[] {"--json", "--store", store, "volume", "import", "imported", sparse},
                new String[] {"--json", "--store", store, "volume", "export", "imported", dir.resolve("export.raw").toString()},
                new String[] {"--json", "--store", store, "volume", "export", "imported", exportQcow2, "-O", "qcow2"},
                new String[] {"--json", "--store", store, "volume", "import", "imported-qcow2", exportQcow2});
    }

    /**
     * A sparse raw file of {@value #SPARSE_SIZE} bytes holding {@value #EXTENTS} extents of
     * {@value #EXTENT} bytes, scattered (a fixed pattern), the shape of a real import or export:
     * its extent walk, the reservation, and the copy loops run many times.
     */
    private static void writeSparse(Path file) throws IOException {
        ByteBuffer extent = ByteBuffer.allocate(EXTENT);
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (int i = 0; i < EXTENTS; i++) {
                for (int j = 0; j < EXTENT; j += Long.BYTES) {
                    extent.putLong(j, (i + 1) * 0x9E3779B97F4A7C15L ^ j * 0xBF58476D1CE4E5B9L);
                }
                extent.clear();
                long slot = (i * 37L) % (SPARSE_SIZE / EXTENT); // 37 is prime to the slot count: distinct slots
                while (extent.hasRemaining()) {
                    out.write(extent, slot * EXTENT + extent.position());
                }
            }
            out.truncate(SPARSE_SIZE);
            if (out.size() < SPARSE_SIZE) {
                out.write(ByteBuffer.allocate(1), SPARSE_SIZE - 1);
            }
        }
    }

    private static boolean ran(String[] command, boolean expectSuccess) {
        StringWriter err = new StringWriter();
        int exit = Main.run(new PrintWriter(Writer.nullWriter()), new PrintWriter(err, true), command);
        if ((exit == 0) == expectSuccess) {
            return true;
        }
        System.err.println("amiforge start-up training: '" + String.join(" ", command) + "' exited " + exit
                + (expectSuccess ? " (expected 0)" : " (expected a failure)") + "; stderr:\n" + err);
        return false;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
