package io.amiforge.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.BlockDevice;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two JVMs commit to one catalog at once ({@link CatalogCommitter}): volume creates, snapshot
 * appends, attribute changes and volume deletes, with compactions every few commits, so each
 * process keeps replaying the other's log tail and reloading the other's new bases. Afterwards
 * every commit of both must be there: no lost update, no deleted record back.
 */
class InterleavedCommitsTest {

    private static final int N = 60;

    @TempDir
    Path dir;

    @Test
    void twoProcessesInterleavingCommitsAndCompactionsLoseNothing() throws Exception {
        SnapshotStore.open(dir).close();
        List<Process> children = new ArrayList<>();
        try {
            List<BufferedReader> outputs = new ArrayList<>();
            for (String p : List.of("P", "Q")) {
                Process child = start(p);
                children.add(child);
                BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
                assertThat(out.readLine()).as("first line of committer %s", p).isEqualTo("ready");
                outputs.add(out);
            }
            for (Process child : children) {
                OutputStream stdin = child.getOutputStream();
                stdin.write("go\n".getBytes(StandardCharsets.UTF_8));
                stdin.flush();
            }
            for (int i = 0; i < children.size(); i++) {
                List<String> got = outputs.get(i).lines().toList();
                assertThat(children.get(i).waitFor(5, TimeUnit.MINUTES)).isTrue();
                assertThat(children.get(i).exitValue()).as("exit of committer %d; its output: %s", i, got).isZero();
                assertThat(got).endsWith("done");
            }
        } finally {
            for (Process child : children) {
                child.destroyForcibly();
                child.waitFor(10, TimeUnit.SECONDS);
            }
        }
        assertThat(Catalog.savedGeneration(dir.resolve("catalog"))).as("compactions happened").isGreaterThan(N / 4);
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            assertThat(store.listVolumes()).extracting(VolumeInfo::name).containsExactlyInAnyOrder("P-" + (N - 1), "Q-" + (N - 1));
            Map<String, SnapshotInfo> byDescription = store.listSnapshots().stream()
                    .collect(Collectors.toMap(SnapshotInfo::description, s -> s));
            assertThat(byDescription).hasSize(2 * N);
            byte[] block = new byte[4096];
            for (String p : List.of("P", "Q")) {
                for (int k = 0; k < N; k++) {
                    SnapshotInfo s = byDescription.get(p + "-" + k);
                    assertThat(s).as("snapshot %s-%d", p, k).isNotNull();
                    assertThat(s.attributes()).as("attribute of %s-%d", p, k).containsEntry("n", Integer.toString(k));
                    try (BlockDevice d = store.openSnapshot(s.id())) {
                        d.read(0, MemorySegment.ofArray(block));
                    }
                    assertThat(block).as("data of %s-%d", p, k).containsOnly((byte) (k + 1));
                }
            }
            assertThat(store.verify().damage()).isEmpty();
        }
    }

    private Process start(String p) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        return new ProcessBuilder(java, "-ea", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), CatalogCommitter.class.getName(), dir.toString(), p,
                Integer.toString(N)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }
}
