package io.amiforge.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A snapshot taken under an id announced before (EBS direct's StartSnapshot): used as given, durable, refused if malformed or taken. */
class ReservedSnapshotIdTest {

    private static final AccountId ALICE = AccountId.of("111111111111");

    @TempDir
    Path dir;

    @Test
    void aReservedIdIsTheSnapshotsIdAcrossReopenAndAMalformedOrTakenOneIsRefused() {
        String id = SnapshotStore.newSnapshotId();
        assertThat(id).matches("snap-[0-9a-f]{17}");
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            TenantStore alice = store.as(ALICE);
            try (Volume v = alice.createVolume("upload", 1 << 20, VolumeOptions.defaults())) {
                v.write(0, MemorySegment.ofArray(new byte[] {1, 2, 3, 4}));
            }
            assertThat(alice.createSnapshot("upload", "first", id).id()).isEqualTo(id);
            String before = store.catalog.serialize().replaceAll("log gen=-?\\d+", "");
            assertThatThrownBy(() -> alice.createSnapshot("upload", "again", id)).isInstanceOf(StoreException.class)
                    .hasMessageContaining("already taken");
            assertThatThrownBy(() -> alice.createSnapshot("upload", "bad", "snap-XYZ")).isInstanceOf(StoreException.class)
                    .hasMessageContaining("malformed");
            assertThat(store.catalog.serialize().replaceAll("log gen=-?\\d+", "")).isEqualTo(before);
        }
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            SnapshotInfo info = store.as(ALICE).snapshot(id);
            assertThat(info.ownerId()).isEqualTo(ALICE.value());
            assertThat(info.description()).isEqualTo("first");
        }
    }
}
