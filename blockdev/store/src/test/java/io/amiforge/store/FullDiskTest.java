package io.amiforge.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real full file system (an 8 MiB tmpfs this test mounts): writing past the space fails with a
 * clear error naming the file, nothing half is committed, and deleting volumes and snapshots
 * still works on the full disk and gives the space back.
 */
@Tag("interop")
class FullDiskTest {

    private static final int BS = 4096;

    @TempDir
    Path tmp;

    @Test
    void aFullDiskFailsWritesCleanlyAndDeletesStillFreeSpace() throws Exception {
        Path mount = Files.createDirectories(tmp.resolve("small"));
        Processes.Result mounted = Processes.run(List.of("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mount.toString()));
        Interop.unless(mounted.exitCode() == 0, "cannot mount a tmpfs (needs root): " + mounted.output().strip());
        try {
            Path dir = mount.resolve("store");
            byte[] block = new byte[BS];
            String kept = null;
            try (SnapshotStore s = SnapshotStore.open(dir)) {
                try (Volume v = s.createVolume("small", 1 << 20, VolumeOptions.defaults())) {
                    ThreadLocalRandom.current().nextBytes(block);
                    v.write(0, MemorySegment.ofArray(block));
                    v.flush();
                }
                kept = s.createSnapshot("small", "kept").id();
                Volume big = s.createVolume("big", 64L << 20, VolumeOptions.defaults());
                assertThatThrownBy(() -> {
                    for (long b = 0; b < (64L << 20) / BS; b++) {
                        ThreadLocalRandom.current().nextBytes(block);
                        big.write(b * BS, MemorySegment.ofArray(block));
                    }
                    big.flush();
                }).isInstanceOf(BlockDeviceException.class).hasMessageContaining("layer ")
                        .hasRootCauseMessage("No space left on device");
                try {
                    big.close();
                } catch (RuntimeException ignored) {
                    // its last flush may fail again on the full disk
                }
                try {
                    s.createSnapshot("big", "on the full disk"); // may fit: the catalog log is pre-allocated
                } catch (BlockDeviceException e) {
                    assertThat(e).hasMessageContaining(dir.toString());
                }
            } catch (RuntimeException closing) {
                // the store's close flushes, which may fail on the full disk: what is committed stays
                assertThat(closing).isInstanceOf(BlockDeviceException.class);
            }
            long full = Files.getFileStore(mount).getUsableSpace();
            try (SnapshotStore s = SnapshotStore.open(dir)) {
                assertThat(s.verify().ok()).isTrue();
                assertThat(s.snapshot(kept).description()).isEqualTo("kept");
                s.deleteVolume("big"); // on the full disk
                for (SnapshotInfo i : s.listSnapshots()) {
                    if (!i.id().equals(kept)) {
                        s.deleteSnapshot(i.id()); // on the full disk
                    }
                }
                s.deleteSnapshot(kept);
                s.deleteVolume("small");
                assertThat(s.listVolumes()).isEmpty();
            }
            assertThat(Files.getFileStore(mount).getUsableSpace()).as("space freed by the deletes").isGreaterThan(full + (4L << 20));
            try (SnapshotStore s = SnapshotStore.open(dir); Volume v = s.createVolume("again", 1 << 20, VolumeOptions.defaults())) {
                v.write(0, MemorySegment.ofArray(block));
                v.flush();
            }
        } finally {
            Processes.run(List.of("umount", mount.toString()));
        }
    }
}
