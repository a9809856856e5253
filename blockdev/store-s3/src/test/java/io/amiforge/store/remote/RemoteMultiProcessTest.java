package io.amiforge.store.remote;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.objects.ObjectStore;
import io.amiforge.store.objects.ObjectStores;
import io.amiforge.testkit.Processes;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hosts as processes on one object store ({@link RemoteWorker}; here {@code file:///}, on Ceph in
 * {@link RemoteMultiProcessCephTest}): two committing
 * at once lose nothing; one killed with SIGKILL in the middle of its uploads leaves only complete
 * snapshots, and gc removes what it left.
 */
class RemoteMultiProcessTest {

    @TempDir
    Path dir;

    /** The object store's URL for this test. */
    String url() {
        return dir.resolve("bucket").toUri().toString();
    }

    /** The worker's arguments after the six common ones (the endpoint of a gateway). */
    List<String> extraArguments() {
        return List.of();
    }

    /** Opens the store the workers use. */
    ObjectStore openObjects() {
        return ObjectStores.open(url(), RemoteWorker.settings(extraArguments().isEmpty() ? null : extraArguments().get(0)));
    }

    /** Checks that no unfinished upload is left after gc. */
    void assertNoStagedUploads(ObjectStore objects) throws Exception {
        try (Stream<Path> staged = Files.list(dir.resolve("bucket/uploads"))) {
            assertThat(staged).isEmpty();
        }
    }

    private Processes.Child start(String host, String volume, long blocks, int count, int churn) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), RemoteWorker.class.getName(),
                url(), dir.resolve(host).toString(), volume, Long.toString(blocks), Integer.toString(count), Integer.toString(churn)));
        command.addAll(extraArguments());
        return Processes.command(command).deadline(Duration.ofMinutes(4)).start();
    }

    private static List<String> lines(Processes.Child child) {
        List<String> out = new ArrayList<>();
        for (String line = child.readLine(); line != null; line = child.readLine()) {
            out.add(line);
        }
        return out;
    }

    @Test
    void twoProcessesSnapshottingAtOnceLoseNoCommit() throws Exception {
        int n = 100;
        List<List<String>> outputs = new ArrayList<>();
        try (Processes.Child p = start("p", "P", 64, n, 3); Processes.Child q = start("q", "Q", 64, n, 3)) {
            outputs.add(lines(p));
            outputs.add(lines(q));
        }
        for (List<String> out : outputs) {
            assertThat(out).hasSize(n + 1).endsWith("done");
        }
        try (ObjectStore objects = openObjects();
                RemoteSnapshotStore reader = RemoteSnapshotStore.open(objects, dir.resolve("reader"), RemoteOptions.defaults())) {
            Map<String, SnapshotInfo> byDescription = reader.listSnapshots().stream()
                    .collect(Collectors.toMap(SnapshotInfo::description, Function.identity()));
            assertThat(byDescription).hasSize(2 * n);
            byte[] block = new byte[RemoteWorker.BLOCK];
            for (String volume : List.of("P", "Q")) {
                for (int k = 0; k < n; k++) {
                    SnapshotInfo s = byDescription.get(volume + "-" + k);
                    assertThat(s.parentId()).isEqualTo(k == 0 ? null : byDescription.get(volume + "-" + (k - 1)).id());
                    try (BlockDevice d = reader.openSnapshot(s.id())) {
                        d.read((long) (k % 64) * RemoteWorker.BLOCK, MemorySegment.ofArray(block));
                    }
                    assertThat(block).as("%s-%d", volume, k).containsOnly(RemoteWorker.value(k));
                }
            }
            assertThat(reader.verify().clean()).isTrue();
        }
    }

    @Test
    void aProcessKilledDuringUploadsLeavesOnlyCompleteSnapshotsAndGcRemovesTheRest() throws Exception {
        List<String> reported = new ArrayList<>();
        try (Processes.Child child = start("k", "K", 8192, 1000, 2000)) {
            for (int i = 0; i < 4; i++) {
                String line = child.readLine();
                assertThat(line).startsWith("snap ");
                reported.add(line.substring(5));
            }
            Thread.sleep(70); // into the next pack or upload
            child.kill();
        }
        try (ObjectStore objects = openObjects();
                RemoteSnapshotStore after = RemoteSnapshotStore.open(objects, dir.resolve("after"), RemoteOptions.defaults())) {
            List<String> listed = after.listSnapshots().stream().map(SnapshotInfo::id).toList();
            assertThat(listed).containsAll(reported); // what was reported committed stays
            RemoteVerifyReport report = after.verify();
            assertThat(report.damage()).isEmpty(); // and every snapshot that is listed is whole
            assertThat(report.objectsChecked()).isEqualTo(listed.size());
            after.gc(Duration.ZERO);
            assertThat(after.verify().unreferenced()).isEmpty();
            assertNoStagedUploads(objects);
            assertThat(after.listSnapshots().stream().map(SnapshotInfo::id).toList()).isEqualTo(listed);
        }
    }
}
