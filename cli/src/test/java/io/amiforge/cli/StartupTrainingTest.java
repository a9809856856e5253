package io.amiforge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link StartupTraining}, the launcher's cache training run: every command of its plan
 * succeeds on a fresh directory (the raw export checked against the imported bytes), and the
 * plan covers the bulk commands a user runs as a process of their own, {@code volume import}
 * and {@code volume export} of raw and qcow2 images, so that the cache holds their classes and
 * profiles (docs/cli-start.md).
 */
class StartupTrainingTest {

    @TempDir
    Path dir;

    @Test
    void everyCommandOfTheTrainingRunSucceedsAndTheExportGivesBackTheImportedBytes() throws Exception {
        assertThat(StartupTraining.train(dir)).isZero();

        assertThat(Files.mismatch(dir.resolve("sparse.raw"), dir.resolve("export.raw"))).isEqualTo(-1L);
        assertThat(Files.size(dir.resolve("export.raw"))).isEqualTo(256L << 20);
        assertThat(Files.size(dir.resolve("export.qcow2"))).isLessThan(64L << 20); // sparse in qcow2 too
    }

    @Test
    void theTrainingCoversImportAndExportOfRawAndQcow2() {
        List<String> commands = StartupTraining.plan(dir).stream().map(c -> String.join(" ", c)).toList();

        assertThat(commands).anyMatch(c -> c.contains("volume import imported ") && c.endsWith("sparse.raw"));
        assertThat(commands).anyMatch(c -> c.contains("volume export imported ") && c.endsWith("export.raw"));
        assertThat(commands).anyMatch(c -> c.contains("volume export imported ") && c.endsWith("export.qcow2 -O qcow2"));
        assertThat(commands).anyMatch(c -> c.contains("volume import imported-qcow2 ") && c.endsWith("export.qcow2"));
    }

    @Test
    void aFailingCommandFailsTheTraining() throws Exception {
        Files.writeString(dir.resolve("store"), "a file where the store's directory should be");

        assertThat(StartupTraining.train(dir)).isEqualTo(1);
    }
}
