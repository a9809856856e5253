package io.amiforge.cloud;

import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.TenantStore;
import java.util.ArrayList;
import java.util.List;

/**
 * CreateImage: an EBS-backed image made from an instance by snapshotting each of its EBS
 * volumes and registering the snapshots as the caller's image.
 */
final class ImageCapture {

    private final Cloud cloud;
    private final ImageRegistry images;
    private final InstanceLifecycle instances;

    ImageCapture(Cloud cloud, ImageRegistry images, InstanceLifecycle instances) {
        this.cloud = cloud;
        this.images = images;
        this.instances = instances;
    }

    MachineImage create(String caller, String region, String instanceId, String name, String description, boolean noReboot) {
        Instance instance = instances.find(caller, region, instanceId);
        instance.state().check(InstanceState.Operation.CREATE_IMAGE, instanceId, instance.rootDeviceType());
        boolean restart = instance.state() == InstanceState.RUNNING && !noReboot;
        if (restart) {
            instances.stop(caller, region, instanceId);
        }
        MachineImage source = instances.imageOf(region, instance);
        TenantStore store = cloud.store(region, caller);
        List<BlockDeviceMapping> mappings = new ArrayList<>();
        for (Instance.AttachedVolume volume : instance.blockDeviceMappings()) {
            if (volume.ephemeral() || volume.deleted()) {
                continue;
            }
            SnapshotInfo snapshot = store.createSnapshot(volume.volumeName(),
                    "Created by CreateImage(" + instanceId + ") for " + name);
            mappings.add(BlockDeviceMapping.ebs(volume.deviceName(), snapshot.id(), ImageRegistry.sizeGiB(snapshot),
                    volume.deleteOnTermination()));
        }
        MachineImage image = images.newImage(caller, region, name, description, instance.virtualizationType(),
                instance.architecture(), RootDeviceType.EBS, instance.rootDeviceName(), mappings, source.kernelId(),
                source.ramdiskId(), null);
        images.add(region, image);
        if (restart) {
            instances.start(caller, region, instanceId);
        }
        return image;
    }
}
