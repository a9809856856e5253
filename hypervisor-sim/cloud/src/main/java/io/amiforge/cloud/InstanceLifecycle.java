package io.amiforge.cloud;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.FileBlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.cloud.bundle.PemKeys;
import io.amiforge.cloud.bundle.Unbundler;
import io.amiforge.store.AccountId;
import io.amiforge.store.TenantStore;
import io.amiforge.x86.bios.Screen;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Instances from launch to termination: RunInstances (root device made, then booted),
 * stop, start, reboot, terminate, and what DescribeInstances and the console show. Every state
 * change is one registry change; the transitions allowed are {@link InstanceState}'s.
 */
final class InstanceLifecycle {

    private final Cloud cloud;
    private final RegionRegistry registry;
    private final ImageRegistry images;
    private final ImagePermissions permissions;
    private final InstanceRecovery recovery;
    private final Booter booter;

    InstanceLifecycle(Cloud cloud, RegionRegistry registry, ImageRegistry images, ImagePermissions permissions,
                      InstanceRecovery recovery, Booter booter) {
        this.recovery = recovery;
        this.cloud = cloud;
        this.registry = registry;
        this.images = images;
        this.permissions = permissions;
        this.booter = booter;
    }

    Instance find(String caller, String region, String instanceId) {
        return registry.load(region).instance(instanceId, caller, region);
    }

    private Instance update(String region, String instanceId, String caller, UnaryOperator<Instance> change) {
        return registry.mutate(region, state -> {
            Instance updated = change.apply(state.instance(instanceId, caller, region));
            state.replace(updated);
            return updated;
        });
    }

    Instance run(String caller, String region, String imageId, String typeName, String zone) {
        MachineImage image = registry.load(region).image(imageId, region);
        if (!image.launchableBy(caller)) {
            throw new AmiforgeException(Kind.NOT_PERMITTED, "UnauthorizedOperation", "account " + caller
                    + " is not authorized to launch " + imageId + " (owner " + image.ownerId() + " has not shared it)");
        }
        if (image.state() != ImageState.AVAILABLE) {
            throw new AmiforgeException(Kind.NOT_PERMITTED, "InvalidAMIID.Unavailable",
                    "image " + imageId + " is " + image.state().wireName());
        }
        InstanceType type = InstanceType.named(typeName);
        type.checkCanRun(image);
        String az = Region.named(region).zone(zone);
        String instanceId = Ids.next("i");
        // Authority over every snapshot is checked before anything is written.
        Map<String, AccountId> grantors = new HashMap<>();
        List<Instance.AttachedVolume> planned = new ArrayList<>();
        for (BlockDeviceMapping mapping : image.blockDeviceMappings()) {
            if (mapping.ebs() != null) {
                grantors.put(mapping.deviceName(), permissions.authority(region, image, caller, mapping.ebs().snapshotId()));
                planned.add(new Instance.AttachedVolume(mapping.deviceName(), volumeName(instanceId, mapping), false,
                        mapping.ebs().deleteOnTermination(), false));
            }
        }
        // The instance is recorded pending, with the volumes it will have, before any is made:
        // a launch that fails or whose process dies is ended by InstanceRecovery, never left pending.
        Instance pending = new Instance(instanceId, imageId, type.name(), caller, region, az, InstanceState.PENDING,
                null, Timestamps.now(), image.architecture(), image.virtualizationType(), image.rootDeviceType(),
                image.rootDeviceName(), planned, null);
        Instance launched;
        try {
            registry.mutate(region, s -> {
                s.instances().add(pending);
                s.begin(instanceId, InFlight.Operation.LAUNCH);
                return null;
            });
            TenantStore store = cloud.store(region, caller);
            List<Instance.AttachedVolume> volumes = new ArrayList<>(planned);
            for (BlockDeviceMapping mapping : image.blockDeviceMappings()) {
                if (mapping.ebs() != null) {
                    String volumeName = volumeName(instanceId, mapping);
                    store.cloneGranted(grantors.get(mapping.deviceName()), mapping.ebs().snapshotId(), volumeName)
                            .close(); // the caller's volume
                    store.attach(volumeName, instanceId);
                } else if (image.rootDeviceType() == RootDeviceType.INSTANCE_STORE
                        && mapping.deviceName().equals(image.rootDeviceName())) {
                    String file = unpackBundle(region, image, instanceId);
                    volumes.add(new Instance.AttachedVolume(mapping.deviceName(), file, true, true, false));
                }
            }
            launched = pending.withVolumes(volumes);
        } catch (RuntimeException e) {
            endFailed(region, pending, InFlight.Operation.LAUNCH, "launch", e);
            throw e;
        }
        return boot(region, launched, image, type, "launched");
    }

    private static String volumeName(String instanceId, BlockDeviceMapping mapping) {
        return instanceId + "-" + mapping.deviceName().substring("/dev/".length());
    }

    /**
     * Ends a launch or start that failed in this process (terminated with its volumes released,
     * or stopped again), with {@code cause} as the state reason. If that fails too, the failure is
     * added to {@code cause}; the first use of the region after this process has gone ends it.
     */
    private void endFailed(String region, Instance instance, InFlight.Operation operation, String step,
                           RuntimeException cause) {
        String reason = "Server.InternalError: the " + step + " failed: " + cause.getMessage();
        try {
            if (operation == InFlight.Operation.LAUNCH) {
                recovery.endLaunch(region, instance, reason);
            } else {
                recovery.endStart(region, instance, reason);
            }
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    /**
     * Unpacks an instance-store image's bundle into the instance's own storage
     * ({@code regions/R/instance-store/INSTANCE/}), verifying it with the owner's certificate and
     * decrypting with the cloud's EC2 key; returns the image file, relative to the region.
     */
    private String unpackBundle(String region, MachineImage image, String instanceId) {
        Path bundleDir = images.bundleDir(region, image.imageId());
        Path manifest = bundleDir.resolve(Path.of(image.imageLocation()).getFileName());
        X509Certificate owner = PemKeys.readCertificate(bundleDir.resolve(ImageRegistry.OWNER_CERTIFICATE));
        Path target = registry.instanceStoreDir(region, instanceId);
        Unbundler.Result result = Unbundler.withPrivateKey(cloud.ec2Credentials().privateKey()).withSigner(owner).asEc2()
                .unbundle(manifest, bundleDir, target);
        return registry.regionDir(region).relativize(result.imageFile()).toString();
    }

    BlockDevice openAttached(String region, Instance.AttachedVolume volume) {
        if (volume.deleted()) {
            throw new AmiforgeException(Kind.NOT_FOUND, "InvalidVolume.NotFound", volume.volumeName() + " was deleted");
        }
        return volume.ephemeral()
                ? FileBlockDevice.open(registry.regionDir(region).resolve(volume.volumeName()), false)
                : cloud.store(region).openVolume(volume.volumeName());
    }

    /**
     * Boots the pending {@code instance} and records it running with the boot's outcome (its
     * operation in progress finished in the same change). If booting or that change fails, a
     * launch is ended ({@code terminated}, volumes released) and a start goes back to
     * {@code stopped} (neither is touched if the change stood after all).
     */
    private Instance boot(String region, Instance instance, MachineImage image, InstanceType type, String reason) {
        try {
            BootReport report;
            try (BlockDevice root = openAttached(region, instance.rootVolume())) {
                report = booter.boot(root, image, type);
            }
            Instance.BootSummary summary = Instance.BootSummary.of(report);
            String id = instance.instanceId();
            return registry.mutate(region, state -> {
                Instance updated = state.instance(id, instance.ownerId(), region).withVolumes(instance.blockDeviceMappings())
                        .with(InstanceState.RUNNING, reason).withBoot(summary);
                state.replace(updated);
                state.finish(id);
                return updated;
            });
        } catch (RuntimeException e) {
            endFailed(region, instance, reason.equals("launched") ? InFlight.Operation.LAUNCH : InFlight.Operation.START,
                    "boot", e);
            throw e;
        }
    }

    Instance stop(String caller, String region, String instanceId) {
        Instance instance = find(caller, region, instanceId);
        instance.state().check(InstanceState.Operation.STOP, instanceId, instance.rootDeviceType());
        if (instance.state() == InstanceState.STOPPED) {
            return instance;
        }
        return update(region, instanceId, caller, i -> i.with(InstanceState.STOPPED, "User initiated (" + Timestamps.now() + ")"));
    }

    Instance start(String caller, String region, String instanceId) {
        Instance instance = find(caller, region, instanceId);
        instance.state().check(InstanceState.Operation.START, instanceId, instance.rootDeviceType());
        if (instance.state() == InstanceState.RUNNING) {
            return instance;
        }
        Instance pending;
        try {
            pending = registry.mutate(region, state -> {
                Instance updated = state.instance(instanceId, caller, region).with(InstanceState.PENDING, null);
                state.replace(updated);
                state.begin(instanceId, InFlight.Operation.START);
                return updated;
            });
        } catch (RuntimeException e) {
            // the change may stand even so (only the directory fsync after the rename failed)
            endFailed(region, instance, InFlight.Operation.START, "start", e);
            throw e;
        }
        return boot(region, pending, imageOf(region, pending), InstanceType.named(pending.instanceType()), "started");
    }

    Instance reboot(String caller, String region, String instanceId) {
        Instance instance = find(caller, region, instanceId);
        instance.state().check(InstanceState.Operation.REBOOT, instanceId, instance.rootDeviceType());
        return boot(region, instance, imageOf(region, instance), InstanceType.named(instance.instanceType()), "rebooted");
    }

    Instance terminate(String caller, String region, String instanceId) {
        Instance instance = find(caller, region, instanceId);
        if (instance.state() == InstanceState.TERMINATED) {
            return instance;
        }
        // recorded in progress first: a terminate that dies part way is finished by InstanceRecovery
        Instance shuttingDown = registry.mutate(region, state -> {
            Instance updated = state.instance(instanceId, caller, region)
                    .with(InstanceState.SHUTTING_DOWN, "User initiated (" + Timestamps.now() + ")");
            state.replace(updated);
            state.finish(instanceId);
            state.begin(instanceId, InFlight.Operation.TERMINATE);
            return updated;
        });
        return recovery.finishTermination(region, shuttingDown);
    }

    List<Instance> describe(String caller, String region, String instanceId) {
        RegionState state = registry.load(region);
        if (instanceId != null) {
            return List.of(state.instance(instanceId, caller, region));
        }
        return state.instances().stream().filter(i -> i.ownerId().equals(caller)).toList();
    }

    String console(String caller, String region, String instanceId) {
        Instance instance = find(caller, region, instanceId);
        return instance.lastBoot() == null ? "" : instance.lastBoot().console();
    }

    Optional<Screen> screen(String caller, String region, String instanceId) {
        Instance instance = find(caller, region, instanceId);
        return instance.lastBoot() == null ? Optional.empty() : instance.lastBoot().screenCells();
    }

    /** The image the instance was launched from, or a stand-in if it has been deregistered since. */
    MachineImage imageOf(String region, Instance instance) {
        return registry.load(region).images().stream().filter(i -> i.imageId().equals(instance.imageId())).findFirst()
                .orElseGet(() -> new MachineImage(instance.imageId(), "(deregistered)", null, instance.ownerId(), null, null,
                        ImageState.DEREGISTERED, instance.architecture(), instance.virtualizationType(),
                        instance.rootDeviceType(), instance.rootDeviceName(), List.of(), null, null, null, List.of(),
                        null, null, null, LaunchPermissions.NONE));
    }
}
