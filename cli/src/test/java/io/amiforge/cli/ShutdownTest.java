package io.amiforge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.cli.store.StoreAccess;
import io.amiforge.store.SnapshotStore;
import io.amiforge.testkit.Processes;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** SIGTERM stops a long command promptly, and the store it was changing verifies clean afterwards. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ShutdownTest {

    @TempDir
    Path dir;

    @Test
    void sigtermStopsALongImportAndLeavesTheStoreConsistent() throws Exception {
        Path store = dir.resolve("store");
        Path image = dir.resolve("big.raw");
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(256L << 30); // sparse: reading it through takes far longer than the test waits
            f.write(new byte[4096 * 4]);
            f.seek(1L << 20);
            f.write(new byte[] {1, 2, 3});
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        try (Processes.Child child = Processes.command(java, "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "--store", store.toString(), "volume", "import", "disk", image.toString())
                .deadline(Duration.ofSeconds(90)).start()) {
            Path storeDir = StoreAccess.storeDir(store, "us-east-1");
            long waited = 0;
            while (!Files.exists(storeDir.resolve("catalog")) && waited < 60_000) {
                Thread.sleep(50);
                waited += 50;
            }
            Thread.sleep(1000); // the import is copying now
            assertThat(child.isAlive()).as("import still running; stderr:\n%s", child.stderrTail()).isTrue();
            int exit = child.terminate(Duration.ofSeconds(10));
            assertThat(exit).as("exit code after SIGTERM (-1: still running); stderr:\n%s", child.stderrTail())
                    .isNotEqualTo(-1).isNotZero();
            try (SnapshotStore s = SnapshotStore.open(storeDir)) {
                assertThat(s.verify().ok()).isTrue();
            }
        }
    }
}
