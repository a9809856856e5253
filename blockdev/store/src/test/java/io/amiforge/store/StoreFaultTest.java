package io.amiforge.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.store.spi.FileOps;
import io.amiforge.testkit.FaultInjection;
import io.amiforge.testkit.StateSnapshots;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every store command commits completely or changes nothing: the Nth file operation fails, for
 * every N the command performs; after each failure the store is reopened and must verify clean,
 * hold the old or the new state (never half), keep no orphan layer files, and let a retry succeed.
 */
class StoreFaultTest {

    private static final int BS = 4096;

    @TempDir
    Path tmp;

    /** A command run against the store. */
    interface Step {
        void run(SnapshotStore store) throws Exception;
    }

    @Test
    void createSnapshotCommitsOrNothing() throws Exception {
        everyFault(StoreFaultTest::volumeWithData, s -> s.createSnapshot("disk", "new"));
    }

    @Test
    void createSnapshotThatCompactsCommitsOrNothing() throws Exception {
        everyFault(StoreFaultTest::volumeWithData, s -> {
            compactAlways(s);
            s.createSnapshot("disk", "new");
        });
    }

    @Test
    void deleteSnapshotThatCompactsCommitsOrNothing() throws Exception {
        everyFault(StoreFaultTest::volumeWithSnapshots, s -> {
            compactAlways(s);
            s.deleteSnapshot(byDescription(s, "first"));
        });
    }

    /** Every commit of {@code s} from now on also compacts the catalog into a new base. */
    private static void compactAlways(SnapshotStore s) {
        s.log.minCompactBytes = 0;
        s.log.baseRatio = 0;
    }

    @Test
    void createVolumeCommitsOrNothing() throws Exception {
        everyFault(StoreFaultTest::volumeWithData, s -> s.createVolume("fresh", 1 << 20, VolumeOptions.defaults()).close());
    }

    @Test
    void cloneCommitsOrNothing() throws Exception {
        everyFault(StoreFaultTest::volumeWithSnapshots, s -> {
            try (Volume v = s.cloneVolume(byDescription(s, "first"), "copy")) {
                v.flush();
            }
        });
    }

    @Test
    void deleteSnapshotCommitsOrNothing() throws Exception {
        everyFault(StoreFaultTest::volumeWithSnapshots, s -> s.deleteSnapshot(byDescription(s, "first")));
    }

    @Test
    void deleteVolumeCommitsOrNothing() throws Exception {
        everyFault(StoreFaultTest::volumeWithSnapshots, s -> s.deleteVolume("disk"));
    }

    private static void volumeWithData(SnapshotStore s) {
        try (Volume v = s.createVolume("disk", 1 << 20, VolumeOptions.defaults())) {
            v.write(0, filled(BS, 1));
            v.write(7 * BS, filled(BS, 2));
            v.flush();
        }
    }

    private static void volumeWithSnapshots(SnapshotStore s) {
        volumeWithData(s);
        s.createSnapshot("disk", "first");
        try (Volume v = s.openVolume("disk")) {
            v.write(7 * BS, filled(BS, 3));
            v.write(20 * BS, filled(BS, 4));
            v.flush();
        }
        s.createSnapshot("disk", "second");
        try (Volume v = s.openVolume("disk")) {
            v.write(0, filled(BS, 5));
            v.flush();
        }
    }

    private static String byDescription(SnapshotStore s, String description) {
        return s.listSnapshots().stream().filter(i -> i.description().equals(description)).findFirst()
                .orElseThrow().id();
    }

    private void everyFault(Step setup, Step op) throws Exception {
        Path base = tmp.resolve("base");
        try (SnapshotStore s = SnapshotStore.open(base)) {
            setup.run(s);
        }
        String before = describe(base);
        Path clean = StateSnapshots.copyTree(base, tmp.resolve("clean"));
        try (SnapshotStore s = SnapshotStore.open(clean)) {
            op.run(s);
        }
        String after = describe(clean);
        assertThat(after).as("the command changes the store").isNotEqualTo(before);
        for (int n = 1; ; n++) {
            assertThat(n).as("operations of one command").isLessThan(500);
            Path dir = StateSnapshots.copyTree(base, tmp.resolve("n" + n));
            FaultInjection faults = FaultInjection.failNth(n);
            FileOps hook = (o, path) -> faults.before(o.name(), path);
            Throwable failure = null;
            try (SnapshotStore s = SnapshotStore.open(dir, hook)) {
                op.run(s);
            } catch (Throwable t) {
                failure = t;
            }
            if (!faults.fired()) {
                assertThat(failure).as("no fault injected").isNull();
                assertThat(describe(dir)).isEqualTo(after);
                return;
            }
            String where = "fault at file operation " + n + " (" + failure + ")";
            String state = describe(dir);
            if (!state.equals(before) && !state.equals(after)) {
                fail(where + ": half-committed state\n" + state + "\nexpected\n" + before + "\nor\n" + after);
            }
            try (SnapshotStore s = SnapshotStore.open(dir)) {
                assertThat(s.verify().ok()).as(where + ": verify " + s.verify()).isTrue();
                Set<String> live = new TreeSet<>();
                s.catalog.volumes.values().forEach(v -> live.add(v.layer));
                s.catalog.snapshots.values().forEach(r -> live.add(r.layer));
                assertThat(layerFiles(dir)).as(where + ": orphan layer files").isSubsetOf(live);
                if (state.equals(before)) {
                    op.run(s); // the retry without faults
                }
            }
            assertThat(describe(dir)).as(where + ": after the retry").isEqualTo(after);
        }
    }

    private static Set<String> layerFiles(Path dir) throws IOException {
        Set<String> ids = new TreeSet<>();
        try (Stream<Path> files = Files.list(dir.resolve("layers"))) {
            files.map(p -> p.getFileName().toString())
                    .forEach(name -> ids.add(name.substring(0, name.indexOf('.'))));
        }
        return ids;
    }

    /** Volumes (name, size, content digest) and snapshots (volume, description, content digest); no ids. */
    private static String describe(Path dir) throws Exception {
        List<String> lines = new ArrayList<>();
        try (SnapshotStore s = SnapshotStore.open(dir)) {
            for (VolumeInfo v : s.listVolumes()) {
                try (Volume vol = s.openVolume(v.name())) {
                    lines.add("volume " + v.name() + " " + vol.size() + " " + StateSnapshots.digest(vol));
                }
            }
            for (SnapshotInfo i : s.listSnapshots()) {
                try (BlockDevice d = s.openSnapshot(i.id())) {
                    lines.add("snapshot " + i.volumeName() + " " + i.description() + " " + StateSnapshots.digest(d));
                }
            }
        }
        lines.sort(null);
        return String.join("\n", lines);
    }

    private static MemorySegment filled(int size, int value) {
        byte[] b = new byte[size];
        java.util.Arrays.fill(b, (byte) value);
        return MemorySegment.ofArray(b);
    }
}
