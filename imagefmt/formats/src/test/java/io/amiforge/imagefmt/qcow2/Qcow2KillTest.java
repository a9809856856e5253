package io.amiforge.imagefmt.qcow2;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real {@code kill -9} of child JVMs ({@link CrashWriter}) writing random data to one qcow2
 * image, {@value #KILLS} times in a row (each writer opens what the killed one left): after
 * each kill qemu-img finds no corruption (leaked clusters are allowed, as qemu allows them) and
 * every byte of every acknowledged write (flushed before the kill, not overwritten by a later
 * write) reads back exactly.
 *
 * <p>The kill moments and the writes come from a seed, printed at the start; replay a run with
 * {@code -Damiforge.crash.seed=N}.
 */
@Tag("interop")
class Qcow2KillTest {

    static final int KILLS = 6;

    @TempDir
    Path dir;

    @Test
    void killNineWhileWritingLosesNoAcknowledgedWrite() throws Exception {
        Interop.tool("qemu-img");
        long seed = Long.getLong("amiforge.crash.seed", new Random().nextLong());
        System.out.println("Qcow2KillTest seed=" + seed + " (replay with -Damiforge.crash.seed=" + seed + ")");
        Random random = new Random(seed);
        Path image = dir.resolve("killed.qcow2");
        byte[] model = new byte[(int) CrashWriter.SIZE]; // what the image must hold where it is certain
        int kills = 0;
        for (int cycle = 0; cycle < KILLS; cycle++) {
            String context = "seed " + seed + ", kill " + cycle;
            long streamSeed = random.nextLong();
            long acknowledged = runAndKill(image, streamSeed, 150 + random.nextInt(600), context);
            kills++;
            var check = Qemu.img(dir, "check", image.toString());
            assertThat(check.exitCode()).as("qemu-img check after %s (0 clean, 3 leaks only):\n%s", context, check.output())
                    .isIn(0, 3);
            long compared = compareAcknowledged(image, model, streamSeed, acknowledged, context);
            assertThat(compared).as("acknowledged bytes compared after %s", context).isPositive();
        }
        assertThat(kills).as("kill points exercised (seed %d)", seed).isEqualTo(KILLS);
    }

    /** Runs a writer until it acknowledged a flush, kills it after {@code delayMillis}; returns the last acknowledged write. */
    private static long runAndKill(Path image, long streamSeed, int delayMillis, String context) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        long acknowledged = -1;
        try (Processes.Child child = Processes.command(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), CrashWriter.class.getName(), image.toString(),
                Long.toString(streamSeed)).start()) {
            String line = child.readLine();
            if (line == null) {
                throw new AssertionError("qcow2 writer acknowledged nothing (" + context + "); its stderr:\n"
                        + child.stderrTail());
            }
            acknowledged = parse(line, acknowledged);
            Thread.sleep(delayMillis);
            assertThat(child.isAlive()).as("writer still running when it is to be killed (%s); its stderr:\n%s", context,
                    child.stderrTail()).isTrue();
            child.kill();
            while ((line = child.readLine()) != null) {
                acknowledged = parse(line, acknowledged);
            }
        }
        return acknowledged;
    }

    private static long parse(String line, long acknowledged) {
        if (!line.startsWith("flushed ")) {
            throw new AssertionError("unexpected line from the qcow2 writer: " + line);
        }
        return Math.max(acknowledged, Long.parseLong(line.substring("flushed ".length())));
    }

    /**
     * Replays the writer's stream into {@code model}: writes up to {@code acknowledged} are certain,
     * the ones after it (up to the next flush) may or may not have landed. Compares every certain
     * byte an acknowledged write of this run put there, then makes the image's actual content the
     * model for the next run. Returns the number of bytes compared.
     */
    private static long compareAcknowledged(Path image, byte[] model, long streamSeed, long acknowledged, String context) {
        Random stream = new Random(streamSeed);
        BitSet written = new BitSet(model.length);
        for (long i = 0; i <= acknowledged; i++) {
            CrashWriter.Write w = CrashWriter.next(stream);
            System.arraycopy(w.data(), 0, model, (int) w.offset(), w.data().length);
            written.set((int) w.offset(), (int) w.offset() + w.data().length);
        }
        for (int i = 0; i < CrashWriter.FLUSH_EVERY; i++) { // in flight when the writer died: uncertain
            CrashWriter.Write w = CrashWriter.next(stream);
            written.clear((int) w.offset(), (int) w.offset() + w.data().length);
        }
        byte[] actual = new byte[model.length];
        try (BlockDevice device = ImageFormats.open(image, true)) {
            device.read(0, MemorySegment.ofArray(actual));
        }
        long compared = 0;
        for (int at = written.nextSetBit(0); at >= 0; at = written.nextSetBit(at + 1)) {
            if (actual[at] != model[at]) {
                throw new AssertionError("byte " + at + " of " + image.getFileName() + " is " + actual[at]
                        + " but an acknowledged write put " + model[at] + " there (" + context + ", last acknowledged write "
                        + acknowledged + ")");
            }
            compared++;
        }
        System.arraycopy(actual, 0, model, 0, model.length);
        return compared;
    }
}
