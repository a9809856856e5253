package io.amiforge.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.BlockDevice;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real crashes: a child JVM ({@link CrashWriter}) writes, flushes and snapshots in a loop and is
 * killed with SIGKILL at random moments; after each kill the store is reopened and every
 * flushed write must be there, every block of the volume and of every snapshot must hold one
 * whole write (never a torn mix), and verify must be clean. 56 kill points over the four
 * strategy combinations.
 */
class CrashTest {

    private static final int CYCLES_PER_COMBO = 14;
    private static long flushesSeen;

    @TempDir
    Path dir;

    @Test
    void flushedWritesSurviveKillNine() throws Exception {
        Random random = new Random();
        String[][] combos = {{"row", "flat"}, {"cow", "walk"}, {"row", "walk"}, {"cow", "flat"}};
        int kills = 0;
        for (String[] combo : combos) {
            Path store = dir.resolve(combo[0] + "-" + combo[1]);
            long[] lastFlushed = new long[CrashWriter.BLOCKS];
            Arrays.fill(lastFlushed, -1);
            long next = 0;
            for (int cycle = 0; cycle < CYCLES_PER_COMBO; cycle++) {
                next = runAndKill(store, next, combo, lastFlushed, 40 + random.nextInt(400));
                kills++;
                check(store, lastFlushed, combo[0] + "/" + combo[1] + " cycle " + cycle);
            }
        }
        assertThat(kills).isGreaterThanOrEqualTo(50);
        assertThat(flushesSeen).as("flushes acknowledged by the children").isGreaterThan(100);
    }

    private static long runAndKill(Path store, long start, String[] combo, long[] lastFlushed, int delayMillis)
            throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                CrashWriter.class.getName(), store.toString(), Long.toString(start), combo[0], combo[1]));
        Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        long max = start;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line = in.readLine();
            while (line != null && !line.equals("ready")) {
                max = Math.max(max, parse(line, start, lastFlushed));
                line = in.readLine();
            }
            if (line == null) {
                child.waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("crash writer did not start (first line " + line + ", exit "
                        + (child.isAlive() ? "still running" : child.exitValue()) + ")");
            }
            Thread.sleep(delayMillis);
            child.toHandle().destroyForcibly(); // SIGKILL; unlike Process.destroyForcibly it keeps our end of the pipe open
            child.waitFor(30, TimeUnit.SECONDS);
            while ((line = in.readLine()) != null) {
                max = Math.max(max, parse(line, start, lastFlushed));
            }
        } finally {
            child.destroyForcibly();
        }
        return max + 1000;
    }

    /** Records a "flushed t k" line: every write of thread t up to k was flushed. Returns k (or start). */
    private static long parse(String line, long start, long[] lastFlushed) {
        String[] parts = line.split(" ");
        if (parts.length != 3 || !parts[0].equals("flushed")) {
            return start;
        }
        int thread = Integer.parseInt(parts[1]);
        long k = Long.parseLong(parts[2]);
        for (long j = Math.max(start, k - CrashWriter.BLOCKS); j <= k; j++) {
            int b = (int) CrashWriter.block(thread, j);
            lastFlushed[b] = Math.max(lastFlushed[b], j);
        }
        flushesSeen++;
        return k;
    }

    private static void check(Path dir, long[] lastFlushed, String context) {
        try (SnapshotStore store = SnapshotStore.open(dir); Arena arena = Arena.ofConfined()) {
            VerifyReport report = store.verify();
            assertThat(report.damage()).as("verify after kill, %s", context).isEmpty();
            if (store.listVolumes().isEmpty()) {
                return;
            }
            MemorySegment buf = arena.allocate(CrashWriter.BLOCK_SIZE);
            MemorySegment expected = arena.allocate(CrashWriter.BLOCK_SIZE);
            try (Volume volume = store.openVolume("crash")) {
                for (int b = 0; b < CrashWriter.BLOCKS; b++) {
                    volume.read((long) b * CrashWriter.BLOCK_SIZE, buf);
                    long k = whole(buf, expected, b, context + ", volume");
                    assertThat(k).as("block %d holds write %d but write %d was flushed (%s)", b, k, lastFlushed[b], context)
                            .isGreaterThanOrEqualTo(lastFlushed[b]);
                }
            }
            for (SnapshotInfo s : store.listSnapshots()) {
                try (BlockDevice snap = store.openSnapshot(s.id())) {
                    for (int b = 0; b < CrashWriter.BLOCKS; b++) {
                        snap.read((long) b * CrashWriter.BLOCK_SIZE, buf);
                        whole(buf, expected, b, context + ", snapshot " + s.id());
                    }
                }
            }
        }
    }

    /** Asserts the block is all zeros or exactly one write's pattern for that block; returns its k (-1 for zeros). */
    private static long whole(MemorySegment buf, MemorySegment expected, int block, String context) {
        int thread = (int) buf.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        long k = buf.get(ValueLayout.JAVA_LONG_UNALIGNED, 8);
        if (thread == 0 && k == 0 && buf.mismatch(expected.fill((byte) 0)) == -1) {
            return -1;
        }
        assertThat(thread == 0 || thread == 1).as("block %d thread field %d (%s)", block, thread, context).isTrue();
        assertThat(CrashWriter.block(thread, k)).as("block %d holds write %d of thread %d (%s)", block, k, thread, context)
                .isEqualTo(block);
        CrashWriter.fill(expected, thread, k);
        assertThat(buf.mismatch(expected)).as("block %d is torn (%s)", block, context).isEqualTo(-1L);
        return k;
    }
}
