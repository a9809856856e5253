package io.amiforge.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.VerifyReport;
import io.amiforge.store.Volume;
import io.amiforge.store.VolumeInfo;
import io.amiforge.store.VolumeOptions;
import io.amiforge.testkit.FaultInjection;
import io.amiforge.testkit.StateSnapshots;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * AMI register, copy, deregister and create-image commit completely or change nothing: the Nth
 * file operation (registry or snapshot store) fails, for every N the command performs; after
 * each failure the cloud is opened again and must hold the old state or the new one (the image
 * fully there, with its snapshots, or not at all, and nothing else changed), verify clean in
 * every region, and let a retry succeed.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class ImageFaultTest {

    private static final String OWNER = "111122223333";
    private static final String EAST = "us-east-1";
    private static final String WEST = "us-west-2";
    private static final List<String> REGIONS = List.of(EAST, WEST);

    @TempDir
    Path tmp;

    /** Ids the setup made (the same in every copy of its directory). */
    private final Map<String, String> ids = new HashMap<>();

    /** A command run against the cloud. */
    interface Step {
        void run(Cloud cloud);
    }

    @Test
    void registerCommitsOrNothing() throws Exception {
        everyFault(c -> c.registerImage(OWNER, EAST, new Cloud.RegisterRequest("registered", null, ids.get("snapshot"),
                VirtualizationType.HVM, Architecture.X86_64, null, null, null, List.of())));
    }

    @Test
    void copyCommitsOrNothing() throws Exception {
        everyFault(c -> c.copyImage(OWNER, EAST, ids.get("source"), WEST, "copied"));
    }

    @Test
    void deregisterCommitsOrNothing() throws Exception {
        everyFault(c -> c.deregisterImage(OWNER, EAST, ids.get("old")));
    }

    @Test
    void createImageWithoutRebootCommitsOrNothing() throws Exception {
        everyFault(c -> c.createImage(OWNER, EAST, ids.get("instance"), "captured", null, true));
    }

    @Test
    void createImageThatStopsTheInstanceCommitsOrNothingAndLeavesItRunning() throws Exception {
        // the one third outcome: the image is registered and only the restart failed (RestartFailed), instance stopped
        restartFailed = true;
        everyFault(c -> c.createImage(OWNER, EAST, ids.get("instance"), "captured", null, false));
    }

    private boolean restartFailed;

    /** Two images (one to deregister) over a snapshot of a 4 MiB volume, and a running instance of one. */
    private void setup(Cloud cloud) {
        SnapshotStore store = cloud.store(EAST);
        try (Volume volume = store.createVolume("base", 4 << 20, VolumeOptions.defaults())) {
            volume.write(0, MemorySegment.ofArray(filled(4096, 7)));
            volume.write(3 << 20, MemorySegment.ofArray(filled(4096, 9)));
            volume.flush();
        }
        ids.put("snapshot", store.createSnapshot("base", "root").id());
        ids.put("source", register(cloud, "source"));
        ids.put("old", register(cloud, "old"));
        String instance = cloud.runInstance(OWNER, EAST, ids.get("source"), "t3.micro", null).instanceId();
        try (BlockDevice root = cloud.openAttached(EAST, cloud.describeInstances(OWNER, EAST, instance).getFirst().rootVolume())) {
            root.write(8192, MemorySegment.ofArray(filled(4096, 3))); // the instance's own data, captured by create-image
            root.flush();
        }
        ids.put("instance", instance);
    }

    private String register(Cloud cloud, String name) {
        return cloud.registerImage(OWNER, EAST, new Cloud.RegisterRequest(name, null, ids.get("snapshot"),
                VirtualizationType.HVM, Architecture.X86_64, null, null, null, List.of())).imageId();
    }

    private void everyFault(Step op) throws Exception {
        Path base = tmp.resolve("base");
        try (Cloud cloud = Cloud.open(base, ImageFaultTest::boot)) {
            setup(cloud);
        }
        String before = describe(base);
        Path clean = StateSnapshots.copyTree(base, tmp.resolve("clean"));
        try (Cloud cloud = Cloud.open(clean, ImageFaultTest::boot)) {
            op.run(cloud);
        }
        String after = describe(clean);
        assertThat(after).as("the command changes the cloud").isNotEqualTo(before);
        int faults = 0;
        for (int n = 1; ; n++) {
            assertThat(n).as("file operations of one command").isLessThan(400);
            Path dir = StateSnapshots.copyTree(base, tmp.resolve("n" + n));
            FaultInjection injected = FaultInjection.failNth(n);
            Throwable failure = null;
            try (Cloud cloud = Cloud.open(dir, ImageFaultTest::boot, (o, path) -> injected.before(o.name(), path))) {
                op.run(cloud);
            } catch (Throwable t) {
                failure = t;
            }
            if (!injected.fired()) {
                assertThat(failure).as("no fault injected").isNull();
                assertThat(describe(dir)).isEqualTo(after);
                break;
            }
            faults++;
            String where = "fault at file operation " + n + " (" + failure + ")";
            String state = describe(dir);
            String stopped = after.replace(" instance " + ids.get("instance") + " RUNNING ",
                    " instance " + ids.get("instance") + " STOPPED ");
            if (restartFailed && state.equals(stopped)) {
                assertThat(failure).as(where).hasMessageContaining("could not be started again");
                try (Cloud cloud = Cloud.open(dir, ImageFaultTest::boot)) {
                    cloud.startInstance(OWNER, EAST, ids.get("instance"));
                }
                state = describe(dir);
            }
            if (!state.equals(before) && !state.equals(after)) {
                fail(where + ": half-committed state\n" + state + "\nexpected\n" + before + "\nor\n" + after);
            }
            try (Cloud cloud = Cloud.open(dir, ImageFaultTest::boot)) {
                for (String region : REGIONS) {
                    VerifyReport report = cloud.store(region).verify();
                    assertThat(report.ok()).as(where + ": verify " + region + " " + report).isTrue();
                }
                if (state.equals(before)) {
                    op.run(cloud); // the retry without faults
                }
            }
            assertThat(describe(dir)).as(where + ": after the retry").isEqualTo(after);
            deleteTree(dir);
        }
        assertThat(faults).as("fault points exercised").isGreaterThan(3);
    }

    /**
     * Per region: images (name, state, owner, permissions, each mapping's device and snapshot
     * content), instances (state and volumes), volumes (name, size, content, attachment) and
     * snapshots (volume, description, source of a copy, content); new ids left out.
     */
    private String describe(Path dir) throws Exception {
        List<String> lines = new ArrayList<>();
        try (Cloud cloud = Cloud.open(dir, ImageFaultTest::boot)) {
            for (String region : REGIONS) {
                SnapshotStore store = cloud.store(region);
                Map<String, String> snapshots = new HashMap<>();
                for (SnapshotInfo s : store.listSnapshots()) {
                    try (BlockDevice d = store.openSnapshot(s.id())) {
                        String content = StateSnapshots.digest(d);
                        snapshots.put(s.id(), content);
                        lines.add(region + " snapshot " + s.volumeName() + " " + s.description() + " "
                                + s.attributes().get(SnapshotCopier.COPIED_FROM) + " " + content);
                    }
                }
                for (VolumeInfo v : store.listVolumes()) {
                    try (Volume vol = store.openVolume(v.name())) {
                        lines.add(region + " volume " + v.name() + " " + vol.size() + " " + StateSnapshots.digest(vol) + " " + v.attachedTo());
                    }
                }
                RegionState state = AtomicFiles.read(cloud.regionDir(region).resolve("registry.json"), RegionState.class);
                if (state == null) {
                    continue;
                }
                for (MachineImage image : state.images()) {
                    StringBuilder line = new StringBuilder(region + " image " + image.name() + " " + image.state() + " "
                            + image.ownerId() + " " + image.launchPermissions() + " " + image.sourceImageId());
                    for (BlockDeviceMapping m : image.blockDeviceMappings()) {
                        String snapshot = m.ebs() == null ? null : m.ebs().snapshotId();
                        line.append(' ').append(m.deviceName()).append('=')
                                .append(snapshot == null ? "-" : snapshots.getOrDefault(snapshot, "MISSING " + snapshot));
                    }
                    lines.add(line.toString());
                }
                for (Instance instance : state.instances()) {
                    lines.add(region + " instance " + instance.instanceId() + " " + instance.state() + " "
                            + instance.blockDeviceMappings());
                }
                lines.add(region + " in flight " + state.inFlight());
            }
        }
        lines.sort(null);
        return String.join("\n", lines);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static byte[] filled(int size, int value) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) value);
        return b;
    }

    private static BootReport boot(BlockDevice device, MachineImage image, InstanceType type) {
        return new BootReport(image.virtualizationType().wireName(), BootReport.Result.HALTED, List.of(), "ok", null, 1,
                List.of(), null, null);
    }
}
