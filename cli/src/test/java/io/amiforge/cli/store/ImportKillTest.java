package io.amiforge.cli.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.cli.CliRunner;
import io.amiforge.cli.Main;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.VolumeInfo;
import io.amiforge.testkit.Processes;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A raw {@code volume import} killed with {@code kill -9} part way leaves no volume of that name
 * once the store is opened again by a command: the half volume is deleted, the store verifies
 * clean, and the name can be imported again.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ImportKillTest {

    @TempDir
    Path dir;

    @Test
    void aKilledRawImportLeavesNoVolumeOfThatNameAndTheNameIsUsableAgain() throws Exception {
        Path store = dir.resolve("store");
        Path big = dir.resolve("big.raw");
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(64L << 30); // sparse: importing it takes far longer than the test waits
            for (long at = 0; at < f.length(); at += 64L << 20) {
                f.seek(at);
                f.write(new byte[] {1, 2, 3, 4}); // some data every 64 MiB: sparse-ish
            }
        }
        Path storeDir = StoreAccess.storeDir(store, "us-east-1");
        Path marker = storeDir.resolveSibling("imports").resolve("disk.import");
        String java = ProcessHandle.current().info().command().orElse("java");
        try (Processes.Child child = Processes.command(java, "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "--store", store.toString(), "volume", "import", "disk", big.toString(), "-f", "raw")
                .deadline(Duration.ofSeconds(120)).start()) {
            long waited = 0;
            // the marker names the volume's id once the volume exists
            while (!(Files.exists(marker) && Files.readString(marker).strip().contains(" ")) && waited < 60_000) {
                Thread.sleep(20);
                waited += 20;
            }
            assertThat(marker).as("import marker with the volume id; child's stderr:\n%s", child.stderrTail()).exists();
            Thread.sleep(500); // copying now
            assertThat(child.isAlive()).as("import still running; stderr:\n%s", child.stderrTail()).isTrue();
            child.kill();
        }
        try (SnapshotStore s = SnapshotStore.open(storeDir)) {
            assertThat(s.listVolumes()).extracting(VolumeInfo::name).as("the half volume the kill left, before recovery")
                    .containsExactly("disk");
        }
        CliRunner.Run list = CliRunner.run("--store", store.toString(), "volume", "list", "--json");
        assertThat(list.exitCode()).as(list.err()).isZero();
        assertThat(list.out()).doesNotContain("\"disk\"");
        assertThat(marker).doesNotExist();
        try (SnapshotStore s = SnapshotStore.open(storeDir)) {
            assertThat(s.listVolumes()).isEmpty();
            assertThat(s.verify().ok()).isTrue();
        }
        Path small = dir.resolve("small.raw");
        Files.write(small, new byte[] {9, 8, 7, 6});
        CliRunner.Run retry = CliRunner.run("--store", store.toString(), "volume", "import", "disk", small.toString(),
                "-f", "raw", "--json");
        assertThat(retry.exitCode()).as(retry.err()).isZero();
        assertThat(retry.out()).contains("\"name\" : \"disk\"");
        assertThat(marker).doesNotExist();
    }

    @Test
    void aFailedRawImportDeletesItsVolumeAndAnImportOverAnExistingVolumeLeavesIt() throws Exception {
        Path store = dir.resolve("store");
        Path small = dir.resolve("small.raw");
        Files.write(small, new byte[] {9, 8, 7, 6});
        assertThat(CliRunner.run("--store", store.toString(), "volume", "import", "disk", small.toString(), "-f", "raw")
                .exitCode()).isZero();
        CliRunner.Run again = CliRunner.run("--store", store.toString(), "volume", "import", "disk", small.toString(),
                "-f", "raw");
        assertThat(again.exitCode()).as(again.out() + again.err()).isNotZero();
        assertThat(again.err()).contains("disk");
        try (SnapshotStore s = SnapshotStore.open(StoreAccess.storeDir(store, "us-east-1"))) {
            assertThat(s.listVolumes()).extracting(VolumeInfo::name).as("the existing volume stays").containsExactly("disk");
        }
        // a block size the store refuses: nothing is left, no marker either
        CliRunner.Run bad = CliRunner.run("--store", store.toString(), "volume", "import", "other", small.toString(),
                "-f", "raw", "--block-size", "3K");
        assertThat(bad.exitCode()).as(bad.out() + bad.err()).isNotZero();
        try (SnapshotStore s = SnapshotStore.open(StoreAccess.storeDir(store, "us-east-1"))) {
            assertThat(s.listVolumes()).extracting(VolumeInfo::name).containsExactly("disk");
        }
        assertThat(StoreAccess.storeDir(store, "us-east-1").resolveSibling("imports")).isDirectoryNotContaining("glob:**.import");
    }
}
