package io.amiforge.cli.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.cli.Main;
import io.amiforge.cli.store.StoreAccess;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.Volume;
import io.amiforge.store.VolumeOptions;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM to {@code amiforge nbd serve} of a store volume: the server stops, flushes and closes
 * the volume before the store is closed under it, and the process exits. (The store's own exit
 * hook used to close the volume first: the flush failed with DeviceClosed, and the serving thread
 * never released the exit hook, so the process hung.) What a client wrote without NBD_CMD_FLUSH is
 * in the volume afterwards.
 */
@Tag("interop")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NbdServeShutdownInteropTest {

    @TempDir
    Path dir;

    @Test
    void sigtermFlushesTheVolumeThenExits() throws Exception {
        Path nbdcopy = Interop.tool("nbdcopy");
        Path store = dir.resolve("store");
        Path storeDir = StoreAccess.storeDir(store, "us-east-1");
        int size = 4 << 20;
        try (SnapshotStore s = SnapshotStore.open(storeDir);
             Volume v = s.createVolume("web", size, VolumeOptions.defaults())) {
            v.flush();
        }
        byte[] data = new byte[size];
        new Random(5).nextBytes(data);
        Path source = Files.write(dir.resolve("source.raw"), data);
        String java = ProcessHandle.current().info().command().orElse("java");
        try (Processes.Child child = Processes.command(java, "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "--store", store.toString(), "nbd", "serve", "web", "--listen", "127.0.0.1:0")
                .deadline(Duration.ofSeconds(90)).start()) {
            String first = child.readLine(); // listening on 127.0.0.1:PORT
            assertThat(first).as("stderr:\n%s", child.stderrTail()).startsWith("listening on 127.0.0.1:");
            String uri = "nbd://" + first.substring("listening on ".length()) + "/web";
            Processes.run(List.of(nbdcopy.toString(), source.toString(), uri)).orFail(); // no --flush
            int exit = child.terminate(Duration.ofSeconds(20));
            assertThat(exit).as("exit code after SIGTERM (-1: still running); stderr:\n%s", child.stderrTail())
                    .isNotEqualTo(-1);
            assertThat(child.stderrTail()).doesNotContain("DeviceClosed").doesNotContain("failed");
        }
        try (SnapshotStore s = SnapshotStore.open(storeDir); Volume v = s.openVolume("web")) {
            byte[] stored = new byte[size];
            v.read(0, MemorySegment.ofArray(stored));
            assertThat(stored).isEqualTo(data);
            assertThat(s.verify().ok()).isTrue();
        }
    }
}
