package io.amiforge.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The training run from which the {@code ./amiforge} launcher builds the JVM's ahead-of-time
 * cache (JEP 483/514/515): runs a short, representative set of one-shot commands in this one
 * process, all with {@code --json}, on a throwaway store in a new temporary directory, which
 * it deletes again. It never touches the user's store.
 *
 * <p>Exits 0 when every command gave the exit code expected of it (so the cache is built from
 * working paths), else prints the failing command and its output on stderr and exits 1.
 */
public final class StartupTraining {

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

    private static int train(Path dir) throws IOException {
        String store = dir.resolve("store").toString();
        Path data = dir.resolve("data.raw");
        byte[] bytes = new byte[256 * 1024];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 31 + (i >>> 12));
        }
        Files.write(data, bytes);
        String qcow2 = dir.resolve("data.qcow2").toString();
        String[][] succeed = {
                {"--help"},
                {"--json", "--store", store, "volume", "create", "--size", "64M", "train"},
                {"--json", "--store", store, "volume", "write", "--input", data.toString(), "--offset", "0", "train"},
                {"--json", "--store", store, "snapshot", "create", "train"},
                {"--json", "--store", store, "snapshot", "list"},
                {"--json", "--store", store, "volume", "list"},
                {"--json", "--store", store, "image", "convert", data.toString(), qcow2, "-O", "qcow2"},
                {"--json", "--store", store, "image", "info", qcow2},
                {"--json", "--store", store, "image", "info", data.toString()},
        };
        for (String[] command : succeed) {
            if (!ran(command, true)) {
                return 1;
            }
        }
        // The error path (a JSON error document and a message on stderr) is part of a one-shot run too.
        return ran(new String[] {"--json", "--store", store, "snapshot", "create", "no-such-volume"}, false) ? 0 : 1;
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
