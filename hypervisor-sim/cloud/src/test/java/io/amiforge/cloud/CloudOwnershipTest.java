package io.amiforge.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.store.TenantStore;
import io.amiforge.store.Volume;
import io.amiforge.store.VolumeOptions;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Accounts against each other in the cloud: no path (launch, clone, register, copy) hands over another account's data. */
class CloudOwnershipTest {

    static final String ALICE = "111111111111";
    static final String BOB = "222222222222";
    static final String MALLORY = "999999999999";
    static final String REGION = "us-east-1";

    @TempDir
    Path dir;

    Cloud cloud;

    @BeforeEach
    void open() {
        cloud = Cloud.open(dir, CloudOwnershipTest::boot);
    }

    @AfterEach
    void close() {
        cloud.close();
    }

    private static BootReport boot(BlockDevice root, MachineImage image, InstanceType type) {
        return new BootReport(image.virtualizationType().wireName(), BootReport.Result.HALTED, List.of(), "", null, 1,
                List.of(), null, null);
    }

    /** A snapshot, owned by {@code account}, of a 16 MiB volume whose first bytes say {@code text}. */
    private String snapshotOf(String account, String volumeName, String text) {
        TenantStore store = cloud.store(REGION, account);
        try (Volume volume = store.createVolume(volumeName, 16 << 20, VolumeOptions.defaults())) {
            byte[] bytes = new byte[16];
            byte[] t = text.getBytes();
            System.arraycopy(t, 0, bytes, 0, t.length);
            volume.write(0, MemorySegment.ofArray(bytes));
            volume.flush();
        }
        return store.createSnapshot(volumeName, "root of " + volumeName).id();
    }

    private MachineImage register(String account, String name, String snapshot) {
        return cloud.registerImage(account, REGION, new Cloud.RegisterRequest(name, null, snapshot,
                VirtualizationType.HVM, Architecture.X86_64, null, null, null, List.of()));
    }

    private static String firstBytes(BlockDevice device) {
        byte[] first = new byte[16];
        device.read(0, MemorySegment.ofArray(first));
        return new String(first).trim();
    }

    private static void unauthorized(Runnable attack) {
        assertThatThrownBy(attack::run).isInstanceOfSatisfying(AmiforgeException.class, e -> {
            assertThat(e.code()).isEqualTo("UnauthorizedOperation");
            assertThat(e.kind()).isEqualTo(AmiforgeException.Kind.NOT_PERMITTED);
        });
    }

    @Test
    void launchingAPublicImageClonesTheRootUnderTheLaunchingAccount() {
        MachineImage image = register(ALICE, "pub", snapshotOf(ALICE, "alice-root", "alice"));
        cloud.modifyLaunchPermission(ALICE, REGION, image.imageId(), List.of("all"), List.of());
        Instance bobs = cloud.runInstance(BOB, REGION, image.imageId(), "t3.micro", null);
        String root = bobs.rootVolume().volumeName();
        TenantStore bob = cloud.store(REGION, BOB);
        assertThat(bob.volume(root).ownerId()).isEqualTo(BOB);
        assertThat(cloud.store(REGION, ALICE).listVolumes()).extracting(v -> v.name()).containsExactly("alice-root");
        // bob's snapshot of his root is his; the public image's snapshot stays alice's and out of bob's reach
        String bobsSnap = bob.createSnapshot(root, "mine").id();
        assertThat(bob.snapshot(bobsSnap).ownerId()).isEqualTo(BOB);
        String aliceSnap = image.rootMapping().orElseThrow().ebs().snapshotId();
        assertThatThrownBy(() -> bob.openSnapshot(aliceSnap)).isInstanceOfSatisfying(AmiforgeException.class,
                e -> assertThat(e.code()).isEqualTo("InvalidSnapshot.NotFound"));
        assertThatThrownBy(() -> bob.cloneVolume(aliceSnap, "grab")).isInstanceOfSatisfying(AmiforgeException.class,
                e -> assertThat(e.code()).isEqualTo("InvalidSnapshot.NotFound"));
    }

    @Test
    void publicIsShownToEveryAccountThatSeesTheImage() {
        MachineImage image = register(ALICE, "pub", snapshotOf(ALICE, "alice-root", "alice"));
        cloud.modifyLaunchPermission(ALICE, REGION, image.imageId(), List.of("all", BOB), List.of());
        MachineImage seen = cloud.describeImages(MALLORY, REGION, new Cloud.ImageFilter(null, null, null)).getFirst();
        assertThat(seen.isPublic()).isTrue();
        assertThat(seen.launchPermissions().userIds()).as("only the owner sees who it is shared with").isEmpty();
        assertThat(cloud.describeImages(ALICE, REGION, new Cloud.ImageFilter(null, null, null)).getFirst().isPublic()).isTrue();
    }

    @Test
    void registeringFromAnotherAccountsSnapshotIsRefusedAndSharedSnapshotsMayBeUsed() {
        String aliceSnap = snapshotOf(ALICE, "alice-root", "alice");
        unauthorized(() -> register(MALLORY, "stolen", aliceSnap));
        unauthorized(() -> register(MALLORY, "missing", "snap-0123456789abcdef0"));
        assertThat(cloud.describeImages(MALLORY, REGION, new Cloud.ImageFilter(null, null, null))).isEmpty();

        cloud.store(REGION, ALICE).modifyCreateVolumePermission(aliceSnap, List.of(BOB), List.of());
        MachineImage bobs = register(BOB, "bobs", aliceSnap);
        Instance instance = cloud.runInstance(BOB, REGION, bobs.imageId(), "t3.micro", null);
        try (BlockDevice root = cloud.store(REGION, BOB).openVolume(instance.rootVolume().volumeName())) {
            assertThat(firstBytes(root)).isEqualTo("alice");
        }
    }

    @Test
    void aShareDoesNotPassOnThroughAnImage() {
        // alice shares her snapshot with bob; bob registers an image from it and makes it public
        String aliceSnap = snapshotOf(ALICE, "alice-root", "alice");
        cloud.store(REGION, ALICE).modifyCreateVolumePermission(aliceSnap, List.of(BOB), List.of());
        MachineImage bobs = register(BOB, "relay", aliceSnap);
        cloud.modifyLaunchPermission(BOB, REGION, bobs.imageId(), List.of("all"), List.of());
        // mallory can see the image, but neither launch it nor copy it: alice never shared with her
        unauthorized(() -> cloud.runInstance(MALLORY, REGION, bobs.imageId(), "t3.micro", null));
        unauthorized(() -> cloud.copyImage(MALLORY, REGION, bobs.imageId(), "eu-west-1", null));
        assertThat(cloud.store(REGION, MALLORY).listVolumes()).isEmpty();
        assertThat(cloud.store("eu-west-1", MALLORY).listSnapshots()).isEmpty();
    }

    @Test
    void copyingASharedImageGivesTheCallerItsOwnCopiesAndReusesOnlyItsOwn() {
        MachineImage image = register(ALICE, "web", snapshotOf(ALICE, "alice-root", "alice"));
        cloud.modifyLaunchPermission(ALICE, REGION, image.imageId(), List.of(BOB, MALLORY), List.of());
        Cloud.CopyResult bobsCopy = cloud.copyImage(BOB, REGION, image.imageId(), "eu-west-1", null);
        String bobsSnap = bobsCopy.image().rootMapping().orElseThrow().ebs().snapshotId();
        assertThat(cloud.store("eu-west-1", BOB).snapshot(bobsSnap).ownerId()).isEqualTo(BOB);
        try (BlockDevice copy = cloud.store("eu-west-1", BOB).openSnapshot(bobsSnap)) {
            assertThat(firstBytes(copy)).isEqualTo("alice");
        }
        // mallory's copy is her own, not bob's (which she could then read through)
        Cloud.CopyResult mallorysCopy = cloud.copyImage(MALLORY, REGION, image.imageId(), "eu-west-1", null);
        assertThat(mallorysCopy.blocksCopied()).isPositive();
        String mallorysSnap = mallorysCopy.image().rootMapping().orElseThrow().ebs().snapshotId();
        assertThat(mallorysSnap).isNotEqualTo(bobsSnap);
        assertThat(cloud.store("eu-west-1", MALLORY).snapshot(mallorysSnap).ownerId()).isEqualTo(MALLORY);
        assertThatThrownBy(() -> cloud.store("eu-west-1", MALLORY).openSnapshot(bobsSnap))
                .isInstanceOfSatisfying(AmiforgeException.class, e -> assertThat(e.code()).isEqualTo("InvalidSnapshot.NotFound"));
        // a second copy by bob reuses his earlier one
        assertThat(cloud.copyImage(BOB, REGION, image.imageId(), "eu-west-1", "again").blocksCopied()).isZero();
    }

    @Test
    void attachedVolumeCannotBeDeletedOrRolledBackUntilTerminateAndTheInstanceKeepsWorking() {
        String snap = snapshotOf(ALICE, "alice-root", "alice");
        MachineImage image = register(ALICE, "web", snap);
        Instance instance = cloud.runInstance(ALICE, REGION, image.imageId(), "t3.micro", null);
        String root = instance.rootVolume().volumeName();
        TenantStore alice = cloud.store(REGION, ALICE);
        String rootSnap = alice.createSnapshot(root, "of the root").id();
        for (Runnable attempt : List.<Runnable>of(() -> alice.deleteVolume(root), () -> alice.rollback(root, rootSnap))) {
            assertThatThrownBy(attempt::run).isInstanceOfSatisfying(AmiforgeException.class, e -> {
                assertThat(e.code()).isEqualTo("VolumeInUse");
                assertThat(e.kind()).isEqualTo(AmiforgeException.Kind.NOT_PERMITTED);
            });
        }
        assertThat(cloud.stopInstance(ALICE, REGION, instance.instanceId()).state()).isEqualTo(InstanceState.STOPPED);
        assertThatThrownBy(() -> alice.deleteVolume(root)).isInstanceOfSatisfying(AmiforgeException.class,
                e -> assertThat(e.code()).isEqualTo("VolumeInUse"));
        assertThat(cloud.startInstance(ALICE, REGION, instance.instanceId()).state()).isEqualTo(InstanceState.RUNNING);
        assertThat(cloud.terminateInstance(ALICE, REGION, instance.instanceId()).state()).isEqualTo(InstanceState.TERMINATED);
        assertThat(alice.listVolumes()).extracting(v -> v.name()).doesNotContain(root);
    }

    @Test
    void anotherAccountCannotDeleteASnapshotEvenIfSharedWithIt() {
        String snap = snapshotOf(ALICE, "alice-root", "alice");
        cloud.store(REGION, ALICE).modifyCreateVolumePermission(snap, List.of(BOB), List.of());
        for (String who : List.of(BOB, MALLORY)) {
            assertThatThrownBy(() -> cloud.deleteSnapshot(who, REGION, snap)).isInstanceOfSatisfying(AmiforgeException.class,
                    e -> assertThat(e.code()).isEqualTo("InvalidSnapshot.NotFound"));
        }
        assertThat(cloud.store(REGION, ALICE).snapshot(snap).ownerId()).isEqualTo(ALICE);
    }
}
