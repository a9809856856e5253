package io.amiforge.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.MemoryBlockDevice;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.longlong.Roaring64Bitmap;

/** Ownership: what another account can do with a volume or snapshot it does not own (nothing), sharing, the upgrade. */
class TenantStoreTest {

    private static final AccountId ALICE = AccountId.of("111111111111");
    private static final AccountId MALLORY = AccountId.of("999999999999");

    @TempDir
    Path dir;

    private static MemorySegment filled(int size, int value) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) value);
        return MemorySegment.ofArray(b);
    }

    private static byte[] block(BlockDevice device, long block) {
        byte[] out = new byte[4096];
        device.read(block * 4096, MemorySegment.ofArray(out));
        return out;
    }

    /** Alice's volume "secret" (block 3 = 7s) and its snapshot; returns the snapshot id. */
    private static String alicesSecret(TenantStore alice) {
        try (Volume v = alice.createVolume("secret", 1 << 20, VolumeOptions.defaults())) {
            v.write(3 * 4096, filled(4096, 7));
            v.flush();
        }
        return alice.createSnapshot("secret", "alice's data").id();
    }


    @Test
    void everyOperationOnAnotherAccountsVolumeOrSnapshotIsNotFoundAndChangesNothing() throws Exception {
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            TenantStore alice = store.as(ALICE);
            TenantStore mallory = store.as(MALLORY);
            String snap = alicesSecret(alice);
            String before = store.catalog.serialize().replaceAll("log gen=\\d+", "");
            List<Runnable> volumeAttacks = List.of(
                    () -> mallory.openVolume("secret").close(),
                    () -> mallory.volume("secret"),
                    () -> mallory.deleteVolume("secret"),
                    () -> mallory.createSnapshot("secret", "steal"),
                    () -> mallory.flatten("secret"),
                    () -> mallory.rollback("secret", snap),
                    () -> mallory.attach("secret", "i-0123456789abcdef0"));
            for (Runnable attack : volumeAttacks) {
                assertThatThrownBy(attack::run).isInstanceOfSatisfying(StoreException.class, e -> {
                    assertThat(e.kind()).isEqualTo(AmiforgeException.Kind.NOT_FOUND);
                    assertThat(e.code()).isEqualTo("InvalidVolume.NotFound");
                    assertThat(e.getMessage()).isEqualTo(StoreException.volumeNotFound("secret").getMessage());
                });
            }
            List<Runnable> snapshotAttacks = List.of(
                    () -> mallory.snapshot(snap),
                    () -> mallory.openSnapshot(snap).close(),
                    () -> mallory.cloneVolume(snap, "stolen").close(),
                    () -> mallory.deleteSnapshot(snap),
                    () -> mallory.blocks(snap),
                    () -> mallory.diff(snap, snap),
                    () -> mallory.setSnapshotAttribute(snap, "k", "v"),
                    () -> mallory.modifyCreateVolumePermission(snap, List.of("all"), List.of()));
            for (Runnable attack : snapshotAttacks) {
                assertThatThrownBy(attack::run).isInstanceOfSatisfying(StoreException.class, e -> {
                    assertThat(e.kind()).isEqualTo(AmiforgeException.Kind.NOT_FOUND);
                    assertThat(e.code()).isEqualTo("InvalidSnapshot.NotFound");
                    assertThat(e.getMessage()).isEqualTo(StoreException.snapshotNotFound(snap).getMessage());
                });
            }
            // mallory's own volume cannot be rolled back to alice's snapshot either
            mallory.createVolume("mine", 1 << 20, VolumeOptions.defaults()).close();
            assertThatThrownBy(() -> mallory.rollback("mine", snap)).isInstanceOfSatisfying(StoreException.class,
                    e -> assertThat(e.code()).isEqualTo("InvalidSnapshot.NotFound"));
            // nor can an import hang a layer under alice's snapshot
            SnapshotInfo aliceSnap = alice.snapshot(snap);
            assertThatThrownBy(() -> mallory.importSnapshot(aliceSnap, new MemoryBlockDevice("l", 1 << 20, 4096),
                    new Roaring64Bitmap(), "graft")).isInstanceOfSatisfying(StoreException.class,
                    e -> assertThat(e.kind()).isEqualTo(AmiforgeException.Kind.NOT_FOUND));
            assertThat(mallory.listVolumes()).extracting(VolumeInfo::name).containsExactly("mine");
            assertThat(mallory.listSnapshots()).isEmpty();
            mallory.deleteVolume("mine");
            store.listVolumes(); // brings the catalog up to date with what is committed
            assertThat(store.catalog.serialize().replaceAll("log gen=\\d+", "")).isEqualTo(before);
            try (Volume v = alice.openVolume("secret"); BlockDevice s = alice.openSnapshot(snap)) {
                assertThat(block(v, 3)).containsOnly(7);
                assertThat(block(s, 3)).containsOnly(7);
            }
        }
    }

    @Test
    void everythingCreatedIsOwnedByItsCreatorInTheSameCommit() {
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            TenantStore alice = store.as(ALICE);
            String snap = alicesSecret(alice);
            assertThat(alice.volume("secret").ownerId()).isEqualTo(ALICE.value());
            assertThat(alice.snapshot(snap).ownerId()).isEqualTo(ALICE.value());
        }
        // the snapshot went to the log only (no full save): its owner must be in that same batch
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            assertThat(store.listSnapshots()).extracting(SnapshotInfo::ownerId).containsExactly(ALICE.value());
            assertThat(store.as(ALICE).listSnapshots()).hasSize(1);
        }
    }

    @Test
    void sharedSnapshotMayBeClonedByThePermittedAccountOnlyAndTheCloneIsItsOwn() {
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            TenantStore alice = store.as(ALICE);
            TenantStore bob = store.as(AccountId.of("222222222222"));
            TenantStore mallory = store.as(MALLORY);
            String snap = alicesSecret(alice);
            SnapshotInfo shared = alice.modifyCreateVolumePermission(snap, List.of("222222222222"), List.of());
            assertThat(shared.createVolumePermission()).containsExactly("222222222222");
            assertThat(bob.snapshot(snap).ownerId()).isEqualTo(ALICE.value());
            try (Volume v = bob.cloneVolume(snap, "bobs")) {
                assertThat(block(v, 3)).containsOnly(7);
                v.write(0, filled(4096, 1));
            }
            assertThat(bob.volume("bobs").ownerId()).isEqualTo("222222222222");
            assertThat(alice.listVolumes()).extracting(VolumeInfo::name).containsExactly("secret");
            // a permitted account may clone, nothing more
            assertThatThrownBy(() -> bob.openSnapshot(snap)).isInstanceOf(StoreException.class);
            assertThatThrownBy(() -> bob.deleteSnapshot(snap)).isInstanceOf(StoreException.class);
            assertThatThrownBy(() -> bob.modifyCreateVolumePermission(snap, List.of("all"), List.of()))
                    .isInstanceOf(StoreException.class);
            assertThatThrownBy(() -> mallory.cloneVolume(snap, "m").close()).isInstanceOfSatisfying(StoreException.class,
                    e -> assertThat(e.code()).isEqualTo("InvalidSnapshot.NotFound"));
            // bob's snapshot of his clone is his, and does not open alice's parent to him
            String bobsSnap = bob.createSnapshot("bobs", "mine").id();
            assertThat(bob.snapshot(bobsSnap).ownerId()).isEqualTo("222222222222");
            assertThatThrownBy(() -> bob.diff(bobsSnap, snap)).isInstanceOf(StoreException.class);
            // public, then private again
            alice.modifyCreateVolumePermission(snap, List.of("all"), List.of("222222222222"));
            mallory.cloneVolume(snap, "m").close();
            alice.modifyCreateVolumePermission(snap, List.of(), List.of("all"));
            assertThatThrownBy(() -> bob.cloneVolume(snap, "again").close()).isInstanceOf(StoreException.class);
            assertThatThrownBy(() -> alice.modifyCreateVolumePermission(snap, List.of("12"), List.of()))
                    .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.code()).isEqualTo("InvalidParameterValue"));
        }
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            assertThat(store.as(ALICE).listSnapshots().getFirst().createVolumePermission()).isEmpty();
        }
    }

    @Test
    void attachedVolumeCannotBeDeletedOrRolledBack() {
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            TenantStore alice = store.as(ALICE);
            String snap = alicesSecret(alice);
            alice.attach("secret", "i-0123456789abcdef0");
            assertThatThrownBy(() -> alice.deleteVolume("secret")).isInstanceOfSatisfying(StoreException.class, e -> {
                assertThat(e.code()).isEqualTo("VolumeInUse");
                assertThat(e.kind()).isEqualTo(AmiforgeException.Kind.NOT_PERMITTED);
            });
            assertThatThrownBy(() -> alice.rollback("secret", snap)).isInstanceOfSatisfying(StoreException.class,
                    e -> assertThat(e.code()).isEqualTo("VolumeInUse"));
            assertThatThrownBy(() -> store.deleteVolume("secret")).isInstanceOfSatisfying(StoreException.class,
                    e -> assertThat(e.code()).isEqualTo("VolumeInUse"));
            assertThat(alice.volume("secret").attachedTo()).isEqualTo("i-0123456789abcdef0");
            alice.attach("secret", null);
            alice.deleteVolume("secret");
        }
    }

    @Test
    void catalogWrittenBeforeOwnersGetsTheDefaultOwnerOnceAndDurably() throws Exception {
        String snap;
        String imageSnap;
        try (SnapshotStore store = SnapshotStore.open(dir); Volume v = store.createVolume("old", 1 << 20, VolumeOptions.defaults())) {
            v.write(0, filled(4096, 5));
            snap = store.createSnapshot("old", "from before").id();
            imageSnap = store.createSnapshot("old", "an image's, owner recorded by the cloud of then").id();
            store.setSnapshotAttribute(imageSnap, "owner", "444455556666");
        }
        // rewrite the catalog as the previous format wrote it: header 1, no owner fields
        CatalogFiles.fold(dir);
        Path catalog = dir.resolve("catalog");
        String text = Files.readString(catalog, StandardCharsets.UTF_8);
        String body = text.substring(0, text.lastIndexOf("crc "))
                .replace(Catalog.HEADER + "\n", Catalog.HEADER_V1 + "\n").replaceAll(" owner=\\d+", "");
        assertThat(body).contains("attr.owner=444455556666");
        Files.writeString(catalog, body + "crc " + CatalogFormat.crcOf(body) + "\n", StandardCharsets.UTF_8);
        assertThat(Files.readString(catalog)).doesNotContain(" owner=").startsWith(Catalog.HEADER_V1);

        try (SnapshotStore store = SnapshotStore.open(dir)) {
            // committed by open itself, before any operation
            String upgraded = Files.readString(catalog);
            assertThat(upgraded).startsWith(Catalog.HEADER + "\n");
            assertThat(upgraded.split("owner=111122223333", -1)).hasSize(3);
            assertThat(upgraded).contains(" owner=444455556666").doesNotContain("attr.owner");
            assertThat(store.as(AccountId.of("444455556666")).snapshot(imageSnap).attributes()).doesNotContainKey("owner");
            assertThatThrownBy(() -> store.as(AccountId.DEFAULT).snapshot(imageSnap)).isInstanceOf(StoreException.class);
            assertThat(store.as(AccountId.DEFAULT).volume("old").ownerId()).isEqualTo("111122223333");
            assertThat(store.as(AccountId.DEFAULT).snapshot(snap).ownerId()).isEqualTo("111122223333");
            assertThatThrownBy(() -> store.as(MALLORY).openVolume("old")).isInstanceOf(StoreException.class);
        }
        byte[] once = Files.readAllBytes(catalog);
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            assertThat(store.listVolumes()).hasSize(1);
        }
        assertThat(Files.readAllBytes(catalog)).as("the second open upgrades nothing").isEqualTo(once);
    }

    @Test
    void badOwnerInTheCatalogIsCorruptData() throws Exception {
        SnapshotStore.open(dir).close();
        Path catalog = dir.resolve("catalog");
        String text = Files.readString(catalog, StandardCharsets.UTF_8);
        String body = text.substring(0, text.lastIndexOf("crc "))
                + "volume name=x id=vol-1 size=4096 bs=4096 write=row read=flat layer=lay-1 gen=0 created=2026-01-01T00:00:00Z owner=12\n";
        Files.writeString(catalog, body + "crc " + CatalogFormat.crcOf(body) + "\n", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> SnapshotStore.open(dir)).isInstanceOfSatisfying(StoreException.class, e -> {
            assertThat(e.code()).isEqualTo("CorruptData");
            assertThat(e.getMessage()).contains("owner '12' is not 12 digits");
        });
    }
}
