package io.amiforge.store.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.store.AccountId;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.Volume;
import io.amiforge.store.VolumeOptions;
import io.amiforge.store.objects.MemoryObjectStore;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ownership on the remote tier: the local store's rules, across two hosts. */
class RemoteTenantTest {

    private static final AccountId ALICE = AccountId.of("444455556666");
    private static final AccountId BOB = AccountId.of("777788889999");

    @TempDir
    Path dir;

    @Test
    void anotherAccountsSnapshotDoesNotExistUntilSharedAndThenOnlyDescribesAndClones() {
        MemoryObjectStore objects = new MemoryObjectStore();
        RemoteOptions options = new RemoteOptions(16L << 20, 64 << 10, 8);
        try (RemoteSnapshotStore h1 = RemoteSnapshotStore.open(objects, dir.resolve("h1"), options);
                RemoteSnapshotStore h2 = RemoteSnapshotStore.open(objects, dir.resolve("h2"), options)) {
            RemoteTenant alice = h1.as(ALICE);
            RemoteTenant bob = h2.as(BOB);
            SnapshotInfo s;
            try (Volume v = h1.local().as(ALICE).createVolume("data", 4L << 20, VolumeOptions.defaults())) {
                Devices.scribble(v, new Random(4), 100);
                s = alice.createSnapshot("data", "alice's");
                assertThatThrownBy(() -> bob.createSnapshot("data", "not mine")).isInstanceOf(AmiforgeException.class);
            }
            assertThat(s.ownerId()).isEqualTo(ALICE.value());
            assertThat(h2.snapshot(s.id()).ownerId()).isEqualTo(ALICE.value());

            assertThat(bob.listSnapshots()).isEmpty();
            String missing = message(() -> bob.snapshot("snap-00000000000000000"));
            for (ThrowingCallable call : List.<ThrowingCallable>of(() -> bob.snapshot(s.id()), () -> bob.openSnapshot(s.id()),
                    () -> bob.cloneVolume(s.id(), "mine"), () -> bob.deleteSnapshot(s.id()),
                    () -> bob.modifyCreateVolumePermission(s.id(), List.of("all"), List.of()))) {
                assertThat(message(call)).isEqualTo(missing.replace("snap-00000000000000000", s.id()));
            }

            assertThat(alice.modifyCreateVolumePermission(s.id(), List.of(BOB.value()), List.of()).createVolumePermission())
                    .containsExactly(BOB.value());
            assertThat(bob.listSnapshots()).extracting(SnapshotInfo::id).containsExactly(s.id());
            assertThat(bob.snapshot(s.id()).ownerId()).isEqualTo(ALICE.value());
            try (Volume clone = bob.cloneVolume(s.id(), "bobs"); BlockDevice original = alice.openSnapshot(s.id())) {
                Devices.assertSameContents(original, clone);
            }
            assertThat(h2.local().volume("bobs").ownerId()).isEqualTo(BOB.value());
            assertThat(message(() -> bob.openSnapshot(s.id()))).contains("does not exist");
            assertThat(message(() -> bob.deleteSnapshot(s.id()))).contains("does not exist");
            assertThat(h1.snapshot(s.id())).isNotNull();

            assertThatThrownBy(() -> alice.modifyCreateVolumePermission(s.id(), List.of("everyone"), List.of()))
                    .isInstanceOfSatisfying(AmiforgeException.class, e -> assertThat(e.code()).isEqualTo("InvalidParameterValue"));
            alice.modifyCreateVolumePermission(s.id(), List.of(), List.of(BOB.value()));
            assertThat(bob.listSnapshots()).isEmpty();
            alice.deleteSnapshot(s.id());
            assertThat(h2.listSnapshots()).isEmpty();
        }
    }

    private static String message(ThrowingCallable call) {
        try {
            call.call();
        } catch (AmiforgeException e) {
            assertThat(e.code()).isEqualTo("InvalidSnapshot.NotFound");
            return e.getMessage();
        } catch (Throwable t) {
            throw new AssertionError("expected InvalidSnapshot.NotFound, got " + t, t);
        }
        throw new AssertionError("expected InvalidSnapshot.NotFound, the call succeeded");
    }
}
