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
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
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
    private final Booter booter;

    InstanceLifecycle(Cloud cloud, RegionRegistry registry, ImageRegistry images, ImagePermissions permissions,
                      Booter booter) {
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
        TenantStore store = cloud.store(region, caller);
        List<Instance.AttachedVolume> volumes = new ArrayList<>();
        try {
            for (BlockDeviceMapping mapping : image.blockDeviceMappings()) {
                String volumeName = instanceId + "-" + mapping.deviceName().substring("/dev/".length());
                if (mapping.ebs() != null) {
                    AccountId grantor = permissions.authority(region, image, caller, mapping.ebs().snapshotId());
                    store.cloneGranted(grantor, mapping.ebs().snapshotId(), volumeName).close(); // the caller's volume
                    store.attach(volumeName, instanceId);
                    volumes.add(new Instance.AttachedVolume(mapping.deviceName(), volumeName, false,
                            mapping.ebs().deleteOnTermination(), false));
                } else if (image.rootDeviceType() == RootDeviceType.INSTANCE_STORE && mapping.deviceName().equals(image.rootDeviceName())) {
                    String file = unpackBundle(region, image, instanceId);
                    volumes.add(new Instance.AttachedVolume(mapping.deviceName(), file, true, true, false));
                }
            }
        } catch (RuntimeException e) {
            for (Instance.AttachedVolume v : volumes) {
                if (!v.ephemeral()) {
                    deleteQuietly(store, v.volumeName());
                }
            }
            DirectoryTrees.delete(instanceStoreDir(region, instanceId));
            throw e;
        }
        Instance instance = new Instance(instanceId, imageId, type.name(), caller, region, az, InstanceState.PENDING,
                null, Timestamps.now(), image.architecture(), image.virtualizationType(), image.rootDeviceType(),
                image.rootDeviceName(), volumes, null);
        registry.mutate(region, s -> s.instances().add(instance));
        return boot(region, instance, image, type, "launched");
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
        Path target = instanceStoreDir(region, instanceId);
        Unbundler.Result result = Unbundler.withPrivateKey(cloud.ec2Credentials().privateKey()).withSigner(owner).asEc2()
                .unbundle(manifest, bundleDir, target);
        return registry.regionDir(region).relativize(result.imageFile()).toString();
    }

    private Path instanceStoreDir(String region, String instanceId) {
        return registry.regionDir(region).resolve("instance-store").resolve(instanceId);
    }

    BlockDevice openAttached(String region, Instance.AttachedVolume volume) {
        if (volume.deleted()) {
            throw new AmiforgeException(Kind.NOT_FOUND, "InvalidVolume.NotFound", volume.volumeName() + " was deleted");
        }
        return volume.ephemeral()
                ? FileBlockDevice.open(registry.regionDir(region).resolve(volume.volumeName()), false)
                : cloud.store(region).openVolume(volume.volumeName());
    }

    private static void deleteQuietly(TenantStore store, String volumeName) {
        try {
            store.attach(volumeName, null);
            store.deleteVolume(volumeName);
        } catch (RuntimeException ignored) {
            // best effort clean-up of a failed launch; the original error is what the user needs
        }
    }

    private Instance boot(String region, Instance instance, MachineImage image, InstanceType type, String reason) {
        BootReport report;
        try (BlockDevice root = openAttached(region, instance.rootVolume())) {
            report = booter.boot(root, image, type);
        }
        String kernel = report.kernel() == null ? null
                : (report.kernel().version() != null ? report.kernel().version() : report.kernel().path());
        Instance.BootSummary summary = new Instance.BootSummary(report.result().wireName(), kernel, report.error(), report.console());
        return update(region, instance.instanceId(), instance.ownerId(),
                i -> i.with(InstanceState.RUNNING, reason).withBoot(summary));
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
        Instance pending = update(region, instanceId, caller, i -> i.with(InstanceState.PENDING, null));
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
        update(region, instanceId, caller, i -> i.with(InstanceState.SHUTTING_DOWN, "User initiated (" + Timestamps.now() + ")"));
        TenantStore store = cloud.store(region, caller);
        List<Instance.AttachedVolume> after = new ArrayList<>();
        for (Instance.AttachedVolume volume : instance.blockDeviceMappings()) {
            if (volume.deleted()) {
                after.add(volume);
            } else if (volume.ephemeral()) {
                after.add(volume.markDeleted());
            } else {
                store.attach(volume.volumeName(), null); // detached: the volume may now be deleted or rolled back
                if (volume.deleteOnTermination()) {
                    store.deleteVolume(volume.volumeName());
                    after.add(volume.markDeleted());
                } else {
                    after.add(volume);
                }
            }
        }
        DirectoryTrees.delete(instanceStoreDir(region, instanceId));
        return update(region, instanceId, caller,
                i -> i.withVolumes(after).with(InstanceState.TERMINATED, "User initiated (" + Timestamps.now() + ")"));
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

    /** The image the instance was launched from, or a stand-in if it has been deregistered since. */
    MachineImage imageOf(String region, Instance instance) {
        return registry.load(region).images().stream().filter(i -> i.imageId().equals(instance.imageId())).findFirst()
                .orElseGet(() -> new MachineImage(instance.imageId(), "(deregistered)", null, instance.ownerId(), null, null,
                        ImageState.DEREGISTERED, instance.architecture(), instance.virtualizationType(),
                        instance.rootDeviceType(), instance.rootDeviceName(), List.of(), null, null, null, List.of(),
                        null, null, null, LaunchPermissions.NONE));
    }
}
