package io.amiforge.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.VerifyReport;
import io.amiforge.store.Volume;
import io.amiforge.store.VolumeInfo;
import io.amiforge.store.VolumeOptions;
import io.amiforge.testkit.Processes;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A launch or a terminate killed part way (a child JVM that dies as by {@code kill -9} before its Nth file
 * operation, for every N, or is killed while it boots) leaves no instance {@code pending} and no
 * volume behind once the cloud is opened again: the instance is {@code terminated} with a
 * {@code Server.InternalError} reason and its clone deleted; a killed start leaves it
 * {@code stopped} with its volume; a killed terminate is finished. A launch that fails in
 * process ends the same way at once.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class InterruptedLaunchTest {

    static final String OWNER = "111122223333";
    static final String REGION = "us-east-1";

    @TempDir
    Path root;

    @Test
    void aLaunchKilledAtEachFileOperationLeavesNoPendingInstanceAndNoVolume() throws Exception {
        String image = registerImage();
        int kills = 0;
        int killedWithACloneMade = 0;
        int killedPending = 0;
        for (int n = 1; ; n++) {
            assertThat(n).as("file operations of one launch").isLessThan(300);
            Processes.Result result = child("run", image, n, false).run();
            boolean killed = result.exitCode() == 137;
            assertThat(killed || result.exitCode() == 0).as("child exit %d at N=%d:\n%s", result.exitCode(), n,
                    result.output()).isTrue();
            Before before = before();
            killedPending += before.pending;
            killedWithACloneMade += before.pendingWithVolume;
            checkInvariants("kill at file operation " + n);
            if (!killed) {
                assertThat(result.stdoutText()).startsWith("done i-");
                break;
            }
            kills++;
        }
        System.out.printf("launch killed at %d file operations; %d left a pending instance, %d a clone to release%n",
                kills, killedPending, killedWithACloneMade);
        assertThat(kills).as("kill points exercised").isGreaterThan(10);
        assertThat(killedPending).as("kills that left a pending instance to recover").isGreaterThan(0);
        assertThat(killedWithACloneMade).as("kills that left a pending instance's clone volume to release").isGreaterThan(0);
    }

    @Test
    void aTerminateKilledAtEachFileOperationIsFinishedOnTheNextOpen() throws Exception {
        String image = registerImage();
        int kills = 0;
        int leftShuttingDown = 0;
        for (int n = 1; ; n++) {
            assertThat(n).as("file operations of one terminate").isLessThan(300);
            String instance;
            try (Cloud cloud = Cloud.open(root, InterruptedLaunchTest::boot)) {
                instance = cloud.runInstance(OWNER, REGION, image, "t3.micro", null).instanceId();
            }
            Processes.Result result = child("terminate", instance, n, false).run();
            boolean killed = result.exitCode() == 137;
            assertThat(killed || result.exitCode() == 0).as("child exit %d at N=%d:\n%s", result.exitCode(), n,
                    result.output()).isTrue();
            leftShuttingDown += (int) RegistryView.read(root).state().instances().stream()
                    .filter(i -> i.state() == InstanceState.SHUTTING_DOWN).count();
            checkInvariants("terminate killed at file operation " + n);
            try (Cloud cloud = Cloud.open(root, InterruptedLaunchTest::boot)) {
                Instance after = cloud.describeInstances(OWNER, REGION, instance).getFirst();
                if (after.state() == InstanceState.RUNNING) { // killed before the terminate began
                    assertThat(killed).isTrue();
                    cloud.terminateInstance(OWNER, REGION, instance);
                } else {
                    assertThat(after.stateTransitionReason()).as("N=%d", n).startsWith("User initiated (");
                }
            }
            if (!killed) {
                break;
            }
            kills++;
        }
        System.out.printf("terminate killed at %d file operations; %d left an instance shutting down%n", kills,
                leftShuttingDown);
        assertThat(kills).as("kill points exercised").isGreaterThan(3);
        assertThat(leftShuttingDown).as("kills that left an instance shutting down to finish").isGreaterThan(0);
    }

    @Test
    void aLaunchKilledWhileBootingEndsTerminatedAndAStartKilledWhileBootingEndsStopped() throws Exception {
        String image = registerImage();
        String launched = killWhileBooting("run", image);
        String kept;
        try (Cloud cloud = Cloud.open(root, InterruptedLaunchTest::boot)) {
            Instance launch = cloud.describeInstances(OWNER, REGION, launched).getFirst();
            assertThat(launch.state()).isEqualTo(InstanceState.TERMINATED);
            assertThat(launch.stateTransitionReason()).startsWith("Server.InternalError: the launch was interrupted");
            assertThat(launch.blockDeviceMappings()).isNotEmpty().allMatch(Instance.AttachedVolume::deleted);
            assertThat(cloud.store(REGION, OWNER).listVolumes()).extracting(VolumeInfo::name).containsExactly("base");
            kept = cloud.stopInstance(OWNER, REGION, cloud.runInstance(OWNER, REGION, image, "t3.micro", null).instanceId())
                    .instanceId();
        }
        assertThat(killWhileBooting("start", kept)).isEqualTo(kept);
        try (Cloud cloud = Cloud.open(root, InterruptedLaunchTest::boot)) {
            Instance start = cloud.describeInstances(OWNER, REGION, kept).getFirst();
            assertThat(start.state()).isEqualTo(InstanceState.STOPPED);
            assertThat(start.stateTransitionReason()).startsWith("Server.InternalError: the start was interrupted");
            assertThat(cloud.store(REGION, OWNER).volume(start.rootVolume().volumeName()).attachedTo()).isEqualTo(kept);
            assertThat(cloud.startInstance(OWNER, REGION, kept).state()).isEqualTo(InstanceState.RUNNING);
        }
        checkInvariants("after the killed launch and start");
    }

    @Test
    void aLaunchWhoseBootFailsInProcessEndsTerminatedWithItsVolumeReleased() {
        String image = registerImage();
        try (Cloud cloud = Cloud.open(root, (device, img, type) -> {
            throw new IllegalStateException("simulated boot failure");
        })) {
            assertThatThrownBy(() -> cloud.runInstance(OWNER, REGION, image, "t3.micro", null))
                    .hasMessageContaining("simulated boot failure");
            Instance instance = cloud.describeInstances(OWNER, REGION, null).getFirst();
            assertThat(instance.state()).isEqualTo(InstanceState.TERMINATED);
            assertThat(instance.stateTransitionReason())
                    .isEqualTo("Server.InternalError: the boot failed: simulated boot failure");
            assertThat(cloud.store(REGION, OWNER).listVolumes()).extracting(VolumeInfo::name).containsExactly("base");
        }
        checkInvariants("after an in-process boot failure");
    }

    private String killWhileBooting(String operation, String id) throws Exception {
        try (Processes.Child child = child(operation, id, 0, true).start()) {
            assertThat(child.readLine()).as("child's first line; its stderr:\n%s", child.stderrTail()).isEqualTo("booting");
            child.kill();
        }
        RegistryView view = RegistryView.read(root);
        assertThat(view.pendingIds()).as("pending while its process was killed").hasSize(1);
        return view.pendingIds().getFirst();
    }

    private Processes.Command child(String operation, String id, long killAt, boolean hang) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                LaunchChild.class.getName(), root.toString(), OWNER, operation, id, Long.toString(killAt)));
        if (hang) {
            command.add("hang");
        }
        return Processes.command(command).deadline(Duration.ofSeconds(120));
    }

    private String registerImage() {
        try (Cloud cloud = Cloud.open(root, InterruptedLaunchTest::boot)) {
            SnapshotStore store = cloud.store(REGION);
            try (Volume volume = store.createVolume("base", 16 << 20, VolumeOptions.defaults())) {
                volume.write(0, MemorySegment.ofArray("root disk".getBytes()));
                volume.flush();
            }
            String snapshot = store.createSnapshot("base", "root").id();
            return cloud.registerImage(OWNER, REGION, new Cloud.RegisterRequest("killed-launch", null, snapshot,
                    VirtualizationType.HVM, Architecture.X86_64, null, null, null, List.of())).imageId();
        }
    }

    /** What the kill left, read before the cloud is opened (and recovers). */
    private record Before(int pending, int pendingWithVolume) {
    }

    private Before before() {
        RegistryView view = RegistryView.read(root);
        Set<String> volumes = new TreeSet<>();
        try (SnapshotStore store = SnapshotStore.open(Cloud.storeDir(root, REGION))) {
            store.listVolumes().forEach(v -> volumes.add(v.name()));
        }
        int withVolume = 0;
        for (Instance i : view.state().instances()) {
            if (i.state() == InstanceState.PENDING
                    && i.blockDeviceMappings().stream().anyMatch(v -> volumes.contains(v.volumeName()))) {
                withVolume++;
            }
        }
        return new Before(view.pendingIds().size(), withVolume);
    }

    /**
     * After the cloud is opened again: no instance pending and nothing in progress; a running
     * instance's volumes exist and are attached to it; a terminated one's are all deleted; no
     * other volume than the image's source exists; the store verifies clean.
     */
    private void checkInvariants(String where) {
        try (Cloud cloud = Cloud.open(root, InterruptedLaunchTest::boot)) {
            List<Instance> instances = cloud.describeInstances(OWNER, REGION, null);
            Set<String> expected = new TreeSet<>(Set.of("base"));
            for (Instance instance : instances) {
                assertThat(instance.state()).as(where + ": " + instance.instanceId())
                        .isIn(InstanceState.RUNNING, InstanceState.TERMINATED);
                if (instance.state() == InstanceState.TERMINATED) {
                    assertThat(instance.stateTransitionReason()).as(where)
                            .matches("(Server.InternalError: |User initiated \\().*");
                    assertThat(instance.blockDeviceMappings()).as(where).allMatch(Instance.AttachedVolume::deleted);
                } else {
                    for (Instance.AttachedVolume v : instance.blockDeviceMappings()) {
                        expected.add(v.volumeName());
                        assertThat(cloud.store(REGION, OWNER).volume(v.volumeName()).attachedTo()).as(where)
                                .isEqualTo(instance.instanceId());
                    }
                }
            }
            assertThat(RegistryView.read(root).state().inFlight()).as(where + ": operations in progress").isEmpty();
            assertThat(cloud.store(REGION, OWNER).listVolumes()).extracting(VolumeInfo::name).as(where + ": volumes")
                    .containsExactlyInAnyOrderElementsOf(expected);
            VerifyReport report = cloud.store(REGION).verify();
            assertThat(report.ok()).as(where + ": " + report).isTrue();
        }
    }

    /** The registry document as it is on disk. */
    private record RegistryView(RegionState state) {
        static RegistryView read(Path root) {
            RegionState state = AtomicFiles.read(root.resolve("regions").resolve(REGION).resolve("registry.json"),
                    RegionState.class);
            return new RegistryView(state == null ? RegionState.empty() : state);
        }

        List<String> pendingIds() {
            return state.instances().stream().filter(i -> i.state() == InstanceState.PENDING).map(Instance::instanceId)
                    .toList();
        }
    }

    private static BootReport boot(BlockDevice device, MachineImage image, InstanceType type) {
        return new BootReport(image.virtualizationType().wireName(), BootReport.Result.HALTED, List.of(), "ok", null, 1,
                List.of(), null, null);
    }
}
