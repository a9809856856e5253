package io.amiforge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.cli.store.StoreAccess;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.Volume;
import io.amiforge.store.VolumeOptions;
import io.amiforge.testkit.Processes;
import io.amiforge.transfer.ChainExporter;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** SIGTERM stops a long command promptly, and the store it was changing verifies clean afterwards. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ShutdownTest {

    @TempDir
    Path dir;

    /** A qcow2 chain {@code depth} layers deep, each layer one 4 KiB block, exported from a scratch store; returns its top. */
    private static Path deepChain(Path where, int depth) throws Exception {
        Files.createDirectories(where);
        try (SnapshotStore source = SnapshotStore.open(where.resolve("scratch"))) {
            String last = null;
            try (Volume volume = source.createVolume("deep", 64L << 20, VolumeOptions.defaults())) {
                byte[] block = new byte[4096];
                for (int i = 0; i < depth; i++) {
                    Arrays.fill(block, (byte) (i % 250 + 1));
                    volume.write((long) i * 4096, MemorySegment.ofArray(block));
                    last = source.createSnapshot("deep", "layer " + i).id();
                }
            }
            Path top = where.resolve("deep.qcow2");
            ChainExporter.exportChain(source, last, top);
            return top;
        }
    }

    @Test
    void sigtermStopsALongImportAndLeavesTheStoreConsistent() throws Exception {
        Path store = dir.resolve("store");
        // Import is O(data) now, so a big sparse file no longer keeps it busy: a deep qcow2 chain
        // does (one snapshot and one durable commit per layer).
        Path image = deepChain(dir.resolve("chain"), 300);
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

    @Test
    void aKilledImportLeavesNoVolumeOfThatNameAndTheRetrySucceeds() throws Exception {
        Path store = dir.resolve("store");
        Path image = deepChain(dir.resolve("chain"), 300);
        Path storeDir = StoreAccess.storeDir(store, "us-east-1");
        String java = ProcessHandle.current().info().command().orElse("java");
        try (Processes.Child child = Processes.command(java, "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "--store", store.toString(), "volume", "import", "disk", image.toString())
                .deadline(Duration.ofSeconds(90)).start()) {
            long waited = 0;
            while (!Files.exists(storeDir.resolve("catalog")) && waited < 60_000) {
                Thread.sleep(50);
                waited += 50;
            }
            Thread.sleep(1000); // the import is committing layers now
            assertThat(child.isAlive()).as("import still running; stderr:\n%s", child.stderrTail()).isTrue();
            child.kill(); // SIGKILL: no shutdown hook runs
        }
        try (SnapshotStore s = SnapshotStore.open(storeDir)) {
            assertThat(s.listVolumes()).as("no volume of that name after the kill").isEmpty();
            assertThat(s.verify().ok()).isTrue();
        }
        Path small = Files.write(dir.resolve("small.raw"), new byte[] {9, 8, 7, 6});
        CliRunner.Run retry = CliRunner.run("--store", store.toString(), "volume", "import", "disk", small.toString(),
                "-f", "raw", "--json");
        assertThat(retry.exitCode()).as(retry.err()).isZero();
        assertThat(retry.out()).contains("\"VolumeName\" : \"disk\"");
    }
}
