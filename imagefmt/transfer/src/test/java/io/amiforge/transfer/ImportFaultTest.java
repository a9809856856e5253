package io.amiforge.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.store.SnapshotStore;
import io.amiforge.store.Volume;
import io.amiforge.testkit.FaultInjection;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failed import leaves nothing: the Nth file operation of an import fails, for every N the
 * import performs; afterwards the reopened store verifies clean and holds either no trace of
 * the import (no volume, no snapshot, no layer file) or the whole imported volume, and a retry
 * succeeds.
 */
class ImportFaultTest {

    private static final int BS = 4096;

    @TempDir
    Path tmp;

    @Test
    void importCommitsCompletelyOrLeavesNothing() throws Exception {
        Path image = tmp.resolve("disk.raw");
        byte[] bytes = new byte[64 * BS];
        Arrays.fill(bytes, 5 * BS, 9 * BS, (byte) 0x5a);
        Arrays.fill(bytes, 40 * BS, 41 * BS, (byte) 0x17);
        Files.write(image, bytes);
        for (int n = 1; ; n++) {
            assertThat(n).as("file operations of one import").isLessThan(500);
            Path dir = tmp.resolve("store" + n);
            SnapshotStore.open(dir).close();
            FaultInjection faults = FaultInjection.failNth(n);
            Throwable failure = null;
            try (SnapshotStore s = SnapshotStore.open(dir, (op, path) -> faults.before(op.name(), path))) {
                ChainImporter.importImage(s, "disk", image);
            } catch (RuntimeException | Error e) {
                failure = e;
            }
            String where = "fault at file operation " + n + " (" + failure + ")";
            try (SnapshotStore s = SnapshotStore.open(dir)) {
                assertThat(s.verify().ok()).as(where + ": verify").isTrue();
                boolean imported = !s.listVolumes().isEmpty();
                if (!faults.fired()) {
                    assertThat(failure).isNull();
                    assertThat(imported).isTrue();
                }
                if (imported) {
                    assertContents(s, bytes, where);
                } else {
                    assertThat(s.listSnapshots()).as(where + ": snapshots left by a failed import").isEmpty();
                    assertThat(layerIds(dir)).as(where + ": layer files left by a failed import").isEmpty();
                    ChainImporter.importImage(s, "disk", image); // the retry without faults
                    assertContents(s, bytes, where + ", retried");
                }
            }
            if (!faults.fired()) {
                return;
            }
        }
    }

    private static void assertContents(SnapshotStore s, byte[] expected, String where) {
        byte[] actual = new byte[expected.length];
        try (Volume v = s.openVolume("disk")) {
            v.read(0, MemorySegment.ofArray(actual));
        }
        assertThat(actual).as(where + ": imported contents").isEqualTo(expected);
    }

    private static Set<String> layerIds(Path dir) throws IOException {
        Set<String> ids = new TreeSet<>();
        try (Stream<Path> files = Files.list(dir.resolve("layers"))) {
            files.map(p -> p.getFileName().toString()).forEach(name -> ids.add(name.substring(0, name.indexOf('.'))));
        }
        return ids;
    }
}
