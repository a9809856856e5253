package io.amiforge.cli.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.cli.CliRunner;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.VolumeInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A raw {@code volume import} that fails leaves no volume of that name (it is imported as a
 * snapshot first and becomes a volume only by the final clone) and never touches an existing
 * volume of that name; the store verifies clean afterwards.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ImportFailureTest {

    @TempDir
    Path dir;

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
        // a block size the store refuses: nothing is left
        CliRunner.Run bad = CliRunner.run("--store", store.toString(), "volume", "import", "other", small.toString(),
                "-f", "raw", "--block-size", "3K");
        assertThat(bad.exitCode()).as(bad.out() + bad.err()).isNotZero();
        try (SnapshotStore s = SnapshotStore.open(StoreAccess.storeDir(store, "us-east-1"))) {
            assertThat(s.listVolumes()).extracting(VolumeInfo::name).containsExactly("disk");
        }
        try (SnapshotStore s = SnapshotStore.open(StoreAccess.storeDir(store, "us-east-1"))) {
            assertThat(s.verify().ok()).isTrue();
        }
    }
}
