package io.amiforge.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.testkit.Processes;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real crashes: a child JVM ({@link CrashWriter}) writes, flushes and snapshots in a loop and is
 * killed with SIGKILL at random moments; after each kill the store is reopened, verify must be
 * clean, every block of the volume whose write was acknowledged (a flush returned after it) must
 * hold exactly the content of that write or of a later write to the same block, and every block
 * of the volume and of every snapshot must hold one whole write (never a torn mix). 56 kill
 * points over the four strategy combinations.
 *
 * <p>The kill moments come from a seed, printed at the start; replay a run with
 * {@code -Damiforge.crash.seed=N} (the moments are replayed, the child's scheduling is not).
 */
class CrashTest {

    private static final int CYCLES_PER_COMBO = 14;
    private static final String[][] COMBOS = {{"row", "flat"}, {"cow", "walk"}, {"row", "walk"}, {"cow", "flat"}};

    @TempDir
    Path dir;

    /** What the checks after the kills covered, so a run that checked nothing fails. */
    private static final class Coverage {
        int kills;
        long flushesAcknowledged;
        long acknowledgedBlocksCompared;
        long snapshotBlocksCompared;
    }

    @Test
    void flushedWritesSurviveKillNine() throws Exception {
        long seed = Long.getLong("amiforge.crash.seed", new Random().nextLong());
        System.out.println("CrashTest seed=" + seed + " (replay with -Damiforge.crash.seed=" + seed + ")");
        Random random = new Random(seed);
        Coverage coverage = new Coverage();
        for (String[] combo : COMBOS) {
            Path store = dir.resolve(combo[0] + "-" + combo[1]);
            long[] lastFlushed = new long[CrashWriter.BLOCKS];
            Arrays.fill(lastFlushed, -1);
            long next = 0;
            for (int cycle = 0; cycle < CYCLES_PER_COMBO; cycle++) {
                String context = "seed " + seed + ", " + combo[0] + "/" + combo[1] + " cycle " + cycle;
                next = runAndKill(store, next, combo, lastFlushed, 40 + random.nextInt(400), coverage, context);
                coverage.kills++;
                check(store, lastFlushed, coverage, context);
            }
        }
        int planned = COMBOS.length * CYCLES_PER_COMBO;
        assertThat(coverage.kills).as("kill points exercised (seed %d)", seed).isEqualTo(planned);
        assertThat(coverage.flushesAcknowledged).as("flushes acknowledged by the children (seed %d)", seed)
                .isGreaterThan(100);
        // every acknowledged block is compared after every later kill: at least one per kill on average
        assertThat(coverage.acknowledgedBlocksCompared).as("acknowledged blocks compared after kills (seed %d)", seed)
                .isGreaterThanOrEqualTo(planned);
        assertThat(coverage.snapshotBlocksCompared).as("snapshot blocks checked after kills (seed %d)", seed)
                .isGreaterThan(0);
    }

    /**
     * Starts a writer at iteration {@code start}, kills it {@code delayMillis} after it is ready,
     * records what it acknowledged and returns the iteration the next writer starts at.
     */
    private static long runAndKill(Path store, long start, String[] combo, long[] lastFlushed, int delayMillis,
            Coverage coverage, String context) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        long max = start;
        try (Processes.Child child = Processes.command(java, "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                CrashWriter.class.getName(), store.toString(), Long.toString(start), combo[0], combo[1]).start()) {
            String line = child.readLine();
            while (line != null && !line.equals("ready")) {
                max = Math.max(max, parse(line, start, lastFlushed, coverage));
                line = child.readLine();
            }
            if (line == null) {
                throw new AssertionError("crash writer did not start (" + context + "); its stderr:\n" + child.stderrTail());
            }
            Thread.sleep(delayMillis);
            assertThat(child.isAlive()).as("writer still running when it is to be killed (%s); its stderr:\n%s", context,
                    child.stderrTail()).isTrue();
            child.kill();
            while ((line = child.readLine()) != null) {
                max = Math.max(max, parse(line, start, lastFlushed, coverage));
            }
        }
        return max + 1000;
    }

    /** Records a "flushed t k" line: every write of thread t up to k was flushed. Returns k (or start). */
    private static long parse(String line, long start, long[] lastFlushed, Coverage coverage) {
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
        coverage.flushesAcknowledged++;
        return k;
    }

    private static void check(Path dir, long[] lastFlushed, Coverage coverage, String context) {
        boolean acknowledged = Arrays.stream(lastFlushed).anyMatch(k -> k >= 0);
        try (SnapshotStore store = SnapshotStore.open(dir); Arena arena = Arena.ofConfined()) {
            VerifyReport report = store.verify();
            assertThat(report.damage()).as("verify after kill, %s", context).isEmpty();
            if (store.listVolumes().isEmpty()) {
                assertThat(acknowledged).as("the volume is gone but writes to it were acknowledged (%s)", context).isFalse();
                return;
            }
            MemorySegment buf = arena.allocate(CrashWriter.BLOCK_SIZE);
            MemorySegment expected = arena.allocate(CrashWriter.BLOCK_SIZE);
            try (Volume volume = store.openVolume("crash")) {
                for (int b = 0; b < CrashWriter.BLOCKS; b++) {
                    volume.read((long) b * CrashWriter.BLOCK_SIZE, buf);
                    long k = whole(buf, expected, b, context + ", volume");
                    if (lastFlushed[b] >= 0) {
                        assertThat(k).as("block %d holds write %d but write %d was acknowledged (%s)", b, k, lastFlushed[b],
                                context).isGreaterThanOrEqualTo(lastFlushed[b]);
                        // whole() compared every byte with write k's pattern; k >= the acknowledged write,
                        // so the acknowledged content (or a later write's) is there byte for byte
                        coverage.acknowledgedBlocksCompared++;
                    }
                }
            }
            for (SnapshotInfo s : store.listSnapshots()) {
                try (BlockDevice snap = store.openSnapshot(s.id())) {
                    for (int b = 0; b < CrashWriter.BLOCKS; b++) {
                        snap.read((long) b * CrashWriter.BLOCK_SIZE, buf);
                        whole(buf, expected, b, context + ", snapshot " + s.id());
                        coverage.snapshotBlocksCompared++;
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
        assertThat(buf.mismatch(expected)).as("block %d is not write %d's content byte for byte (%s)", block, k, context)
                .isEqualTo(-1L);
        return k;
    }
}
