package io.amiforge.examples.embedding;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.boot.BootReport;
import io.amiforge.boot.hvm.TinyKernel;
import io.amiforge.store.SnapshotStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddingExampleTest {

    @TempDir
    Path work;

    @Test
    void theSnapshotBootsToTheKernelItWasBuiltWith() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        EmbeddingExample.Outcome outcome = EmbeddingExample.run(work, new PrintStream(printed, true, StandardCharsets.UTF_8));

        BootReport boot = outcome.boot();
        assertThat(boot.mode()).isEqualTo("hvm");
        // the tiny kernel's setup code runs after the hand-off, prints its banner and halts
        assertThat(boot.result()).as(boot.error()).isEqualTo(BootReport.Result.HALTED);
        assertThat(boot.stages()).extracting(BootReport.Stage::name)
                .containsSubsequence("BIOS POST", "MBR loaded", "kernel hand-off", "kernel setup running", "halted");
        assertThat(boot.kernel().version()).startsWith(TinyKernel.VERSION_PREFIX);
        assertThat(boot.kernel().format()).isEqualTo("bzImage");
        assertThat(boot.kernel().cmdline()).isEqualTo("console=ttyS0 root=/dev/xvda1 ro");
        assertThat(boot.console()).contains("console=ttyS0 root=/dev/xvda1 ro");
        assertThat(boot.diskReads()).isNotEmpty();

        // the snapshot it booted is really in the store, and the output says what happened
        try (SnapshotStore store = SnapshotStore.open(work.resolve("store"))) {
            assertThat(store.snapshot(outcome.snapshot().id()).description()).isEqualTo("embedding example");
        }
        assertThat(printed.toString(StandardCharsets.UTF_8))
                .contains("snapshot " + outcome.snapshot().id(), "boot: halted", "kernel: " + boot.kernel().version());
    }
}
