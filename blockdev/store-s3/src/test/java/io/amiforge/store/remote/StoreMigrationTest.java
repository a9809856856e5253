package io.amiforge.store.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.Volume;
import io.amiforge.store.VolumeOptions;
import io.amiforge.store.objects.MemoryObjectStore;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code store migrate}: a local store to an object store and back, byte-identical, resumable after a failure. */
class StoreMigrationTest {

    @TempDir
    Path dir;

    @Test
    void aRoundTripIsByteIdenticalAndEachWayResumesAfterAFailure() {
        MemoryObjectStore objects = new MemoryObjectStore();
        RemoteOptions options = new RemoteOptions(32L << 20, 64 << 10, 4);
        Random random = new Random(5);
        try (SnapshotStore source = SnapshotStore.open(dir.resolve("source"))) {
            // two lineages: a row volume with 6 snapshots and a cow volume cloned from the third one
            try (Volume v = source.createVolume("row", 8L << 20, VolumeOptions.defaults())) {
                for (int i = 0; i < 6; i++) {
                    Devices.scribble(v, random, 120);
                    source.createSnapshot("row", "row " + i);
                }
            }
            String third = source.listSnapshots().stream().filter(s -> s.description().equals("row 2")).findFirst().orElseThrow().id();
            try (Volume c = source.cloneVolume(third, "cow", VolumeOptions.defaults().writeStrategy("cow"))) {
                for (int i = 0; i < 3; i++) {
                    Devices.scribble(c, random, 80);
                    source.createSnapshot("cow", "cow " + i);
                }
            }
            List<SnapshotInfo> originals = source.listSnapshots();
            assertThat(originals).hasSize(9);

            try (RemoteSnapshotStore remote = RemoteSnapshotStore.open(objects, dir.resolve("tier"), options)) {
                objects.failRequests(25, 1, MemoryObjectStore.Fault.PARTIAL);
                assertThatThrownBy(() -> StoreMigration.toRemote(source, remote)).isInstanceOf(AmiforgeException.class);
                int before = remote.listSnapshots().size();
                assertThat(before).isBetween(1, 8);
                StoreMigration.Result resumed = StoreMigration.toRemote(source, remote);
                assertThat(resumed.copied()).isEqualTo(9 - before);
                assertThat(resumed.skipped()).isEqualTo(before);
                assertThat(StoreMigration.toRemote(source, remote)).isEqualTo(new StoreMigration.Result(0, 9));
                assertThat(remote.verify().clean()).isTrue();
                for (SnapshotInfo s : originals) {
                    SnapshotInfo r = remote.snapshot(s.id());
                    assertThat(r.parentId()).isEqualTo(s.parentId());
                    try (BlockDevice a = source.openSnapshot(s.id()); BlockDevice b = remote.openSnapshot(s.id())) {
                        Devices.assertSameContents(a, b);
                    }
                }

                try (SnapshotStore back = SnapshotStore.open(dir.resolve("back"))) {
                    objects.failRequests(12, 1, MemoryObjectStore.Fault.FAIL);
                    assertThatThrownBy(() -> StoreMigration.toLocal(remote, back)).isInstanceOf(AmiforgeException.class);
                    int copied = back.listSnapshots().size();
                    StoreMigration.Result rest = StoreMigration.toLocal(remote, back);
                    assertThat(rest.copied() + rest.skipped()).isEqualTo(9);
                    assertThat(rest.skipped()).isEqualTo(copied);
                    Map<String, SnapshotInfo> byRemote = new HashMap<>();
                    for (SnapshotInfo s : back.listSnapshots()) {
                        byRemote.put(s.attributes().get(RemoteSnapshotStore.REMOTE_ID), s);
                    }
                    assertThat(byRemote).hasSize(9);
                    for (SnapshotInfo s : originals) {
                        SnapshotInfo copy = byRemote.get(s.id());
                        String parent = copy.parentId() == null ? null
                                : back.snapshot(copy.parentId()).attributes().get(RemoteSnapshotStore.REMOTE_ID);
                        assertThat(parent).isEqualTo(s.parentId());
                        try (BlockDevice a = source.openSnapshot(s.id()); BlockDevice b = back.openSnapshot(copy.id())) {
                            Devices.assertSameContents(a, b);
                        }
                    }
                    assertThat(back.verify().ok()).isTrue();
                }
            }
        }
    }
}
