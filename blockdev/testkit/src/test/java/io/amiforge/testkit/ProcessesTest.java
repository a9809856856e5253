package io.amiforge.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class ProcessesTest {

    private static String sh() {
        return Interop.tool("sh").toString();
    }

    @Test
    @Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a one-stream-at-a-time reader hangs forever
    void largeOutputOnBothStreamsDoesNotDeadlock() {
        // 8 MiB to stderr before anything to stdout: a reader that drained stdout first would
        // block the tool on a full stderr pipe forever.
        Processes.Result r = Processes.command(sh(), "-c",
                "head -c 8388608 /dev/zero | tr '\\0' e >&2; head -c 8388608 /dev/zero | tr '\\0' o")
                .deadline(Duration.ofSeconds(60)).run().orFail();
        assertThat(r.stderr()).hasSize(8 << 20).containsOnly((byte) 'e');
        assertThat(r.stdout()).hasSize(8 << 20).containsOnly((byte) 'o');
    }

    @Test
    void exitCodeInputAndWorkingDirectoryArePassed(@TempDir Path dir) throws Exception {
        Path input = dir.resolve("in.txt");
        Files.writeString(input, "from stdin\n");
        Processes.Result r = Processes.command(sh(), "-c", "cat; pwd; echo oops >&2; exit 3").in(dir).input(input).run();
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.stdoutText()).isEqualTo("from stdin\n" + dir.toRealPath() + "\n");
        assertThat(r.output()).contains("oops\n").contains("from stdin\n"); // two pipes: no order between them
        assertThatThrownBy(r::orFail).hasMessageContaining("sh failed with exit 3").hasMessageContaining("oops");
    }

    @Test
    void deadlineKillsTheWholeTreeAndNamesToolDeadlineAndOutputTail(@TempDir Path dir) throws Exception {
        Path pidFile = dir.resolve("grandchild.pid");
        long start = System.nanoTime();
        assertThatThrownBy(() -> Processes.command(sh(), "-c",
                "echo started; echo warming up >&2; sleep 300 & echo $! > " + pidFile + "; wait")
                .deadline(Duration.ofSeconds(2)).run())
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("sh did not finish within its deadline of 2 s and was killed")
                .hasMessageContaining("stdout tail:\nstarted")
                .hasMessageContaining("stderr tail:\nwarming up");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("returned long before the 300 s sleep")
                .isLessThan(Duration.ofSeconds(200));
        long grandchild = Long.parseLong(Files.readString(pidFile).trim());
        Optional<ProcessHandle> sleep = ProcessHandle.of(grandchild);
        if (sleep.isPresent()) { // already gone otherwise; if it survived the kill, this times out
            sleep.get().onExit().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void childReadsLinesAndIsKilledByItsDeadline() {
        try (Processes.Child child = Processes.command(sh(), "-c", "echo one; echo two; echo err >&2; exec sleep 300")
                .deadline(Duration.ofSeconds(2)).start()) {
            assertThat(child.readLine()).isEqualTo("one");
            assertThat(child.readLine()).isEqualTo("two");
            assertThatThrownBy(child::readLine).hasMessageContaining("within its deadline of 2 s")
                    .hasMessageContaining("err");
        }
    }

    @Test
    void killedChildKeepsItsOutputReadable() throws InterruptedException {
        try (Processes.Child child = Processes.command(sh(), "-c", "echo before; echo written >&2; exec sleep 300").start()) {
            // kill only once the line is written (the shell may not have run yet on a loaded machine)
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
            while (!child.stderrTail().contains("written") && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            child.kill();
            assertThat(child.readLine()).isEqualTo("before");
            assertThat(child.readLine()).isNull();
        }
    }

    @Test
    void missingExecutableIsAClearFailure() {
        assertThatThrownBy(() -> Processes.run(List.of("/nonexistent/amiforge-no-such-tool", "x")))
                .isInstanceOf(AssertionError.class).hasMessageContaining("cannot run amiforge-no-such-tool");
    }

    @Test
    void tailKeepsTheEndOfLongOutput() {
        byte[] big = ("x".repeat(10_000) + "THE END").getBytes();
        assertThat(Processes.tail(big)).endsWith("THE END").startsWith("[... ").hasSizeLessThan(Processes.TAIL_BYTES + 40);
    }
}
