package io.amiforge.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.Volume;
import io.amiforge.store.VolumeOptions;
import io.amiforge.x86.bios.Screen;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cloud's rules over a real snapshot store, with a booter that records what it was asked to boot. */
class CloudTest {

    static final String OWNER = "111122223333";
    static final String FRIEND = "444455556666";
    static final String STRANGER = "777788889999";
    static final String REGION = "us-east-1";

    @TempDir
    Path dir;

    final List<String> booted = new ArrayList<>();
    Cloud cloud;

    @BeforeEach
    void open() {
        cloud = Cloud.open(dir, this::boot);
    }

    @AfterEach
    void close() {
        cloud.close();
    }

    private BootReport boot(BlockDevice root, MachineImage image, InstanceType type) {
        byte[] first = new byte[16];
        root.read(0, MemorySegment.ofArray(first));
        booted.add(image.imageId() + ":" + new String(first).trim());
        String hello = "hello from " + new String(first).trim();
        return new BootReport(image.virtualizationType().wireName(), BootReport.Result.HALTED, List.of(), hello, null, 42,
                List.of(), null, null, image.virtualizationType() == VirtualizationType.HVM ? Screen.ofText(List.of(hello)) : null);
    }

    /** A snapshot of a 16 MiB volume whose first bytes say {@code text}. */
    private String rootSnapshot(String volumeName, String text) {
        SnapshotStore store = cloud.store(REGION);
        try (Volume volume = store.createVolume(volumeName, 16 << 20, VolumeOptions.defaults())) {
            byte[] bytes = new byte[16];
            byte[] t = text.getBytes();
            System.arraycopy(t, 0, bytes, 0, t.length);
            volume.write(0, MemorySegment.ofArray(bytes));
            volume.flush();
        }
        return store.createSnapshot(volumeName, "root of " + volumeName).id();
    }

    private MachineImage register(String name, VirtualizationType virt) {
        return cloud.registerImage(OWNER, REGION, new Cloud.RegisterRequest(name, null, rootSnapshot("vol-" + name, name),
                virt, Architecture.X86_64, null, null, null, List.of()));
    }

    @Test
    void registeredImageDescribesLikeEc2() {
        MachineImage image = register("web-hvm", VirtualizationType.HVM);
        assertThat(image.imageId()).matches("ami-[0-9a-f]{17}");
        List<MachineImage> images = cloud.describeImages(OWNER, REGION, new Cloud.ImageFilter(List.of("self"), null, null));
        assertThat(images).singleElement().satisfies(i -> {
            assertThat(i.rootDeviceName()).isEqualTo("/dev/xvda");
            assertThat(i.rootDeviceType()).isEqualTo(RootDeviceType.EBS);
            assertThat(i.imageOwnerAlias()).isEqualTo("self");
            assertThat(i.rootMapping().orElseThrow().ebs().volumeSize()).isEqualTo(1);
            assertThat(i.isPublic()).isFalse();
        });
        MachineImage pv = register("web-pv", VirtualizationType.PARAVIRTUAL);
        assertThat(pv.kernelId()).isEqualTo(PvGrubKernels.defaultFor(REGION, Architecture.X86_64));
        assertThat(pv.rootDeviceName()).isEqualTo("/dev/sda1");
        String other = rootSnapshot("vol-other", "other");
        assertThatThrownBy(() -> cloud.registerImage(OWNER, REGION, new Cloud.RegisterRequest("web-hvm", null, other,
                VirtualizationType.HVM, Architecture.X86_64, null, null, null, List.of())))
                .isInstanceOfSatisfying(AmiforgeException.class, e -> assertThat(e.code()).isEqualTo("InvalidAMIName.Duplicate"));
    }

    @Test
    void launchPermissionsDecideWhoSeesAndLaunches() {
        MachineImage image = register("shared", VirtualizationType.HVM);
        assertThat(cloud.describeImages(FRIEND, REGION, new Cloud.ImageFilter(null, null, null))).isEmpty();
        assertThatThrownBy(() -> cloud.describeImages(FRIEND, REGION, new Cloud.ImageFilter(null, null, List.of(image.imageId()))))
                .isInstanceOfSatisfying(AmiforgeException.class, e -> assertThat(e.code()).isEqualTo("InvalidAMIID.NotFound"));
        assertThatThrownBy(() -> cloud.runInstance(FRIEND, REGION, image.imageId(), "t3.micro", null))
                .isInstanceOfSatisfying(AmiforgeException.class, e -> assertThat(e.code()).isEqualTo("UnauthorizedOperation"));

        cloud.modifyLaunchPermission(OWNER, REGION, image.imageId(), List.of(FRIEND), List.of());
        assertThat(cloud.describeImages(FRIEND, REGION, new Cloud.ImageFilter(null, List.of("self"), null)))
                .extracting(MachineImage::imageId).containsExactly(image.imageId());
        assertThat(cloud.describeImages(STRANGER, REGION, new Cloud.ImageFilter(null, null, null))).isEmpty();
        Instance friends = cloud.runInstance(FRIEND, REGION, image.imageId(), "t3.micro", "us-east-1c");
        assertThat(friends.availabilityZone()).isEqualTo("us-east-1c");
        assertThatThrownBy(() -> cloud.modifyLaunchPermission(FRIEND, REGION, image.imageId(), List.of("all"), List.of()))
                .isInstanceOfSatisfying(AmiforgeException.class, e -> assertThat(e.code()).isEqualTo("UnauthorizedOperation"));

        cloud.modifyLaunchPermission(OWNER, REGION, image.imageId(), List.of("all"), List.of());
        assertThat(cloud.describeImages(STRANGER, REGION, new Cloud.ImageFilter(null, List.of("all"), null))).hasSize(1);
        cloud.resetLaunchPermission(OWNER, REGION, image.imageId());
        assertThat(cloud.describeImages(STRANGER, REGION, new Cloud.ImageFilter(null, null, null))).isEmpty();
        assertThat(cloud.describeImages(FRIEND, REGION, new Cloud.ImageFilter(null, null, null))).isEmpty();
    }

    @Test
    void instanceTypesRefuseImagesTheyCannotRun() {
        MachineImage pv = register("pv-image", VirtualizationType.PARAVIRTUAL);
        assertThatThrownBy(() -> cloud.runInstance(OWNER, REGION, pv.imageId(), "t3.micro", null))
                .isInstanceOfSatisfying(AmiforgeException.class, e -> assertThat(e.code()).isEqualTo("InvalidParameterCombination"));
        Instance pvInstance = cloud.runInstance(OWNER, REGION, pv.imageId(), "m1.small", null);
        assertThat(pvInstance.state()).isEqualTo(InstanceState.RUNNING);
        assertThat(cloud.consoleScreen(OWNER, REGION, pvInstance.instanceId())).as("a PV guest has no VGA screen").isEmpty();
        MachineImage hvm = register("hvm-image", VirtualizationType.HVM);
        assertThatThrownBy(() -> cloud.runInstance(OWNER, REGION, hvm.imageId(), "t4g.micro", null))
                .isInstanceOfSatisfying(AmiforgeException.class, e -> assertThat(e.code()).isEqualTo("InvalidParameterValue"));
        assertThatThrownBy(() -> cloud.runInstance(OWNER, REGION, hvm.imageId(), "t3.micro", "eu-west-1a"))
                .hasMessageContaining("Invalid availability zone");
        assertThatThrownBy(() -> cloud.runInstance(OWNER, REGION, "ami-0123456789abcdef0", "t3.micro", null))
                .isInstanceOfSatisfying(AmiforgeException.class, e -> assertThat(e.code()).isEqualTo("InvalidAMIID.NotFound"));
    }

    @Test
    void ebsLifecycleKeepsTheRootVolumeAcrossStopStartAndDeletesItAtTerminate() {
        MachineImage image = register("life", VirtualizationType.HVM);
        Instance instance = cloud.runInstance(OWNER, REGION, image.imageId(), "t3.micro", null);
        assertThat(instance.lastBoot().console()).isEqualTo("hello from life");
        assertThat(cloud.consoleScreen(OWNER, REGION, instance.instanceId())).as("kept with the boot, as GetConsoleScreenshot needs it")
                .hasValueSatisfying(screen -> assertThat(screen.rows().getFirst()).isEqualTo("hello from life"));
        String rootVolume = instance.rootVolume().volumeName();
        try (Volume root = cloud.store(REGION).openVolume(rootVolume)) {
            root.write(0, MemorySegment.ofArray("changed".getBytes()));
            root.flush();
        }
        assertThat(cloud.stopInstance(OWNER, REGION, instance.instanceId()).state()).isEqualTo(InstanceState.STOPPED);
        assertThatThrownBy(() -> cloud.rebootInstance(OWNER, REGION, instance.instanceId()))
                .isInstanceOfSatisfying(AmiforgeException.class, e -> assertThat(e.code()).isEqualTo("IncorrectInstanceState"))
                .hasMessageContaining("from which it can be rebooted (it is stopped)");
        Instance started = cloud.startInstance(OWNER, REGION, instance.instanceId());
        assertThat(started.lastBoot().console()).isEqualTo("hello from changed");
        Instance terminated = cloud.terminateInstance(OWNER, REGION, instance.instanceId());
        assertThat(terminated.state()).isEqualTo(InstanceState.TERMINATED);
        assertThat(cloud.store(REGION).listVolumes()).noneMatch(v -> v.name().equals(rootVolume));
        assertThatThrownBy(() -> cloud.startInstance(OWNER, REGION, instance.instanceId()))
                .isInstanceOfSatisfying(AmiforgeException.class, e -> assertThat(e.code()).isEqualTo("IncorrectInstanceState"))
                .hasMessageContaining("from which it can be started (it is terminated)");
        assertThat(cloud.describeInstances(OWNER, REGION, null)).singleElement()
                .satisfies(i -> assertThat(i.state()).isEqualTo(InstanceState.TERMINATED));
        assertThatThrownBy(() -> cloud.describeInstances(FRIEND, REGION, instance.instanceId()))
                .isInstanceOfSatisfying(AmiforgeException.class, e -> assertThat(e.code()).isEqualTo("InvalidInstanceID.NotFound"));
    }

    @Test
    void createImageSnapshotsTheRunningInstanceAndSnapshotsInUseCannotBeDeleted() {
        MachineImage image = register("base", VirtualizationType.HVM);
        String baseSnapshot = image.rootMapping().orElseThrow().ebs().snapshotId();
        Instance instance = cloud.runInstance(OWNER, REGION, image.imageId(), "t3.micro", null);
        try (Volume root = cloud.store(REGION).openVolume(instance.rootVolume().volumeName())) {
            root.write(8192, MemorySegment.ofArray(new byte[]{7, 7, 7}));
            root.flush();
        }
        MachineImage derived = cloud.createImage(OWNER, REGION, instance.instanceId(), "derived", null, true);
        String derivedSnapshot = derived.rootMapping().orElseThrow().ebs().snapshotId();
        SnapshotInfo info = cloud.store(REGION).snapshot(derivedSnapshot);
        assertThat(info.parentId()).isEqualTo(baseSnapshot);
        assertThat(cloud.store(REGION).diff(baseSnapshot, derivedSnapshot).blocks()).containsExactly(2L);

        assertThatThrownBy(() -> cloud.deleteSnapshot(OWNER, REGION, baseSnapshot))
                .isInstanceOfSatisfying(AmiforgeException.class, e -> assertThat(e.code()).isEqualTo("InvalidSnapshot.InUse"));
        cloud.deregisterImage(OWNER, REGION, image.imageId());
        cloud.deleteSnapshot(OWNER, REGION, baseSnapshot);
        // the derived image still launches: the blocks its snapshot needs survived
        Instance again = cloud.runInstance(OWNER, REGION, derived.imageId(), "t3.micro", null);
        assertThat(again.lastBoot().console()).isEqualTo("hello from base");
    }

    @Test
    void copyToAnotherRegionIsIncremental() {
        MachineImage image = register("copyme", VirtualizationType.HVM);
        Cloud.CopyResult first = cloud.copyImage(OWNER, REGION, image.imageId(), "eu-west-1", null);
        assertThat(first.blocksCopied()).isEqualTo(1);
        Instance instance = cloud.runInstance(OWNER, REGION, image.imageId(), "t3.micro", null);
        try (Volume root = cloud.store(REGION).openVolume(instance.rootVolume().volumeName())) {
            for (int b = 10; b < 15; b++) {
                root.write(b * 4096L, MemorySegment.ofArray(new byte[]{1}));
            }
            root.flush();
        }
        MachineImage derived = cloud.createImage(OWNER, REGION, instance.instanceId(), "copyme-2", null, true);
        Cloud.CopyResult second = cloud.copyImage(OWNER, REGION, derived.imageId(), "eu-west-1", null);
        assertThat(second.blocksCopied()).isEqualTo(5);
        assertThat(second.blocksAlreadyPresent()).isEqualTo(1);
        Instance there = cloud.runInstance(OWNER, "eu-west-1", second.image().imageId(), "t3.micro", "eu-west-1b");
        assertThat(there.lastBoot().console()).isEqualTo("hello from copyme");
        assertThat(second.image().sourceImageId()).isEqualTo(derived.imageId());
    }

    @Test
    void twoCloudsOnOneStoreKeepEachOthersChangesAndVolumeLocksStillHold() {
        MachineImage first = register("first", VirtualizationType.HVM);
        try (Cloud other = Cloud.open(dir, this::boot)) {
            // each registry change re-reads the registry under its lock: neither loses the other's image
            MachineImage second = other.registerImage(OWNER, REGION, new Cloud.RegisterRequest("second", null,
                    rootSnapshot("vol-second", "second"), VirtualizationType.HVM, Architecture.X86_64, null, null, null, List.of()));
            MachineImage third = register("third", VirtualizationType.HVM);
            for (Cloud c : List.of(cloud, other)) {
                assertThat(c.describeImages(OWNER, REGION, new Cloud.ImageFilter(List.of("self"), null, null)))
                        .extracting(MachineImage::imageId)
                        .containsExactlyInAnyOrder(first.imageId(), second.imageId(), third.imageId());
            }
            // a volume one cloud has open for writing is refused to the other, naming it
            try (Volume _ = cloud.store(REGION).openVolume("vol-first")) {
                assertThatThrownBy(() -> other.store(REGION).openVolume("vol-first"))
                        .isInstanceOfSatisfying(AmiforgeException.class, e -> assertThat(e.code()).isEqualTo("StoreLocked"))
                        .hasMessageContaining("volume vol-first");
            }
        }
    }

    @Test
    void stateSurvivesReopening() {
        MachineImage image = register("durable", VirtualizationType.HVM);
        Instance instance = cloud.runInstance(OWNER, REGION, image.imageId(), "t3.micro", null);
        cloud.close();
        cloud = Cloud.open(dir, this::boot);
        assertThat(cloud.describeImages(OWNER, REGION, new Cloud.ImageFilter(null, null, null)))
                .extracting(MachineImage::imageId).containsExactly(image.imageId());
        assertThat(cloud.describeInstances(OWNER, REGION, instance.instanceId())).singleElement()
                .satisfies(i -> assertThat(i.state()).isEqualTo(InstanceState.RUNNING));
    }
}
