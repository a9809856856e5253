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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three JVMs on one store at the same time ({@link StoreWorker}): one holds volume A open and
 * writes and snapshots it; one snapshots volume B and creates volumes; one snapshots volume C,
 * creates volumes, reads the first one's snapshots of A and is refused A for writing. Afterwards
 * every commit of every process must be in the catalog (no lost update), each volume's snapshots
 * must form one chain in the order they were taken, and the store must verify clean.
 */
class MultiProcessTest {

    private static final int N = 150;

    @TempDir
    Path dir;

    @Test
    void threeProcessesCommitConcurrentlyAndNoCommitIsLost() throws Exception {
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            for (String name : List.of("A", "B", "C")) {
                store.createVolume(name, StoreWorker.BLOCK * StoreWorker.BLOCKS, VolumeOptions.defaults()).close();
            }
        }
        List<Process> children = new ArrayList<>();
        List<BufferedReader> outputs = new ArrayList<>();
        try {
            children.add(start("writer", "A"));
            children.add(start("snapshotter", "B"));
            children.add(start("reader", "C", "A"));
            for (Process child : children) {
                BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
                assertThat(out.readLine()).as("first line of a worker").isEqualTo("ready");
                outputs.add(out);
            }
            for (Process child : children) {
                OutputStream stdin = child.getOutputStream();
                stdin.write("go\n".getBytes(StandardCharsets.UTF_8));
                stdin.flush();
            }
            List<List<String>> lines = new ArrayList<>(List.of(List.of(), List.of(), List.of()));
            for (int i : new int[] {1, 2, 0}) {
                if (i == 0) { // the writer holds A until the others are done
                    OutputStream stdin = children.get(0).getOutputStream();
                    stdin.write("stop\n".getBytes(StandardCharsets.UTF_8));
                    stdin.flush();
                }
                List<String> got = outputs.get(i).lines().toList();
                assertThat(children.get(i).waitFor(5, TimeUnit.MINUTES)).isTrue();
                assertThat(children.get(i).exitValue()).as("exit of worker %d; its output: %s", i, got).isZero();
                assertThat(got).as("worker %d finished", i).endsWith("done");
                lines.set(i, got);
            }
            List<String> refusals = lines.get(2).stream().filter(l -> l.startsWith("refused ")).toList();
            assertThat(refusals).hasSize(N / 25);
            long writerPid = children.get(0).pid();
            assertThat(refusals).allSatisfy(l -> assertThat(l).startsWith("refused StoreLocked ")
                    .contains("volume A").contains("process " + writerPid));
        } finally {
            for (Process child : children) {
                child.destroyForcibly();
                child.waitFor(10, TimeUnit.SECONDS);
            }
        }
        check();
    }

    private void check() {
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            List<SnapshotInfo> snapshots = store.listSnapshots();
            Map<String, SnapshotInfo> byDescription = snapshots.stream()
                    .collect(Collectors.toMap(SnapshotInfo::description, s -> s));
            assertThat(snapshots).as("one snapshot per commit of the three processes").hasSize(3 * N);
            Map<String, String> parentOf = new HashMap<>();
            for (String volume : List.of("A", "B", "C")) {
                for (int k = 0; k < N; k++) {
                    SnapshotInfo s = byDescription.get(volume + "-" + k);
                    assertThat(s).as("snapshot %s-%d was committed", volume, k).isNotNull();
                    String expectedParent = k == 0 ? null : byDescription.get(volume + "-" + (k - 1)).id();
                    assertThat(s.parentId()).as("parent of %s-%d", volume, k).isEqualTo(expectedParent);
                    parentOf.put(s.id(), s.parentId());
                }
            }
            for (String volume : List.of("B", "C")) {
                for (int k = 0; k < N; k += 10) {
                    assertThat(store.volume(volume + "-vol-" + k).size()).isEqualTo(StoreWorker.BLOCK * StoreWorker.BLOCKS);
                }
            }
            assertThat(store.listVolumes()).hasSize(3 + 2 * (N / 10));
            byte[] block = new byte[StoreWorker.BLOCK];
            for (int k = 0; k < N; k++) {
                try (BlockDevice d = store.openSnapshot(byDescription.get("A-" + k).id())) {
                    d.read((long) (k % StoreWorker.BLOCKS) * StoreWorker.BLOCK, MemorySegment.ofArray(block));
                }
                assertThat(block).as("block %d of snapshot A-%d", k % StoreWorker.BLOCKS, k).containsOnly(StoreWorker.value(k));
            }
            assertThat(store.verify().damage()).isEmpty();
        }
    }

    private Process start(String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                StoreWorker.class.getName(), dir.toString()));
        command.add(args[0]);
        command.add(args[1]);
        command.add(Integer.toString(N));
        for (int i = 2; i < args.length; i++) {
            command.add(args[i]);
        }
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }
}
