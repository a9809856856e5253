package io.amiforge.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.testkit.Processes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13's memory bound: a {@value DeepChain#DEPTH}-deep chain on a 16 GiB volume with 1 MiB
 * per layer opens and reads correctly in a child JVM limited to a 128 MiB heap (the code before
 * the compact index needed gigabytes: a 32 KiB page per touched 16 MiB per layer). The heap
 * limit is the assertion (with the child's own checks of every block and of its open files:
 * a layer that is only read keeps no file open); the open time is printed, not asserted. Then a
 * second child packs the chain ({@link SnapshotStore#pack}) and reads it again, in the same heap;
 * a third builds the chain itself with the default automatic packing on, waits for the
 * background packs and reads it, in the same heap.
 */
class DeepChainMemoryTest {

    @TempDir
    Path dir;
    @TempDir
    Path autoDir;

    @Test
    @Timeout(600)
    void thousandDeepChainOpensAndReadsWithin128MiBOfHeap() {
        DeepChain.build(dir);
        String java = ProcessHandle.current().info().command().orElse("java");
        Processes.Result r = Processes.command(List.of(java, "-Xmx128m", "-XX:+UseSerialGC",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                DeepChain.class.getName(), dir.toString())).deadline(Duration.ofMinutes(5)).run();
        System.out.println("deep chain child: " + r.output().strip());
        assertThat(r.exitCode()).as("exit of the child JVM (-Xmx128m); its output: %s", r.output()).isZero();
        assertThat(r.stdoutText()).contains("ok").doesNotContain("OutOfMemoryError");

        // packed: the child packs the chain's 1000 small layers into one file, then reads it all, within the same heap
        Processes.Result p = Processes.command(List.of(java, "-Xmx128m", "-XX:+UseSerialGC",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                DeepChain.class.getName(), dir.toString(), "pack")).deadline(Duration.ofMinutes(5)).run();
        System.out.println("deep chain child, packed: " + p.output().strip());
        assertThat(p.exitCode()).as("exit of the packing child JVM (-Xmx128m); its output: %s", p.output()).isZero();
        assertThat(p.stdoutText()).contains("packed 1000 layers").contains("ok").doesNotContain("OutOfMemoryError");

        // auto-packed: built, packed in the background as it grows, then read, all within the same heap
        Processes.Result a = Processes.command(List.of(java, "-Xmx128m", "-XX:+UseSerialGC",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                DeepChain.class.getName(), autoDir.toString(), "auto")).deadline(Duration.ofMinutes(5)).run();
        System.out.println("deep chain child, auto-packed: " + a.output().strip());
        assertThat(a.exitCode()).as("exit of the auto-packing child JVM (-Xmx128m); its output: %s", a.output()).isZero();
        assertThat(a.stdoutText()).contains("auto-packed").contains("ok").doesNotContain("OutOfMemoryError")
                .doesNotContain("auto-packed: 0 packs");
    }
}
