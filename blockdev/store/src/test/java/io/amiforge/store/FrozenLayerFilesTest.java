package io.amiforge.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.BlockDevice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process that takes many row snapshots holds the files of at most
 * {@link ChainResolver#FROZEN_OPEN_MAX} frozen layers open: every snapshot still reads the same,
 * unsynced frozen layers become durable at the next flush, a merge into a layer whose files were
 * closed (deleting the snapshot under it) reopens them, and all of it survives a reopen.
 */
class FrozenLayerFilesTest {

    @TempDir
    Path tmp;

    @Test
    @EnabledOnOs(OS.LINUX)
    void manySnapshotsHoldBoundedDescriptorsAndReadTheSame() throws Exception {
        Path dir = tmp.resolve("store");
        Random random = new Random(17);
        int snapshots = 3 * ChainResolver.FROZEN_OPEN_MAX;
        Map<String, byte[]> expected = new LinkedHashMap<>();
        List<String> chain;
        try (SnapshotStore store = SnapshotStore.open(dir, AutoPack.OFF)) {
            chain = PackTest.buildChain(store, random, 2);
            long before = openFiles();
            try (Volume disk = store.openVolume("disk")) {
                for (int i = 0; i < snapshots; i++) {
                    disk.write((long) random.nextInt(PackTest.BLOCKS) * PackTest.BS, PackTest.block(random)); // no flush
                    chain.add(store.createSnapshot("disk", "s" + i).id());
                }
                long grown = openFiles() - before;
                assertThat(grown).as("descriptors opened by %d snapshots", snapshots)
                        .isLessThanOrEqualTo(2L * ChainResolver.FROZEN_OPEN_MAX + 16);
                for (String id : chain) {
                    try (BlockDevice d = store.openSnapshot(id)) {
                        expected.put(id, PackTest.read(d));
                    }
                }
                // a merge into the layer of the snapshot above, whose files were closed
                String gone = chain.remove(5);
                store.deleteSnapshot(gone);
                expected.remove(gone);
                disk.flush(); // the frozen layers written without fsync become durable through reopened files
            }
            PackTest.assertSame(store, expected, "after the merge");
            assertThat(store.verify().ok()).isTrue();
        }
        try (SnapshotStore store = SnapshotStore.open(dir, AutoPack.OFF)) {
            PackTest.assertSame(store, expected, "after a reopen");
            assertThat(store.verify().ok()).isTrue();
        }
    }

    private static long openFiles() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
