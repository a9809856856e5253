package io.amiforge.cloud;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.TenantStore;
import java.util.ArrayList;
import java.util.List;

/**
 * CreateImage: an EBS-backed image made from an instance by snapshotting each of its EBS
 * volumes and registering the snapshots as the caller's image. It commits completely or not at
 * all: a failure before the image is registered deletes the snapshots it made and starts the
 * instance again if it stopped it. Only the restart after a registered image can fail on its
 * own ({@code RestartFailed}, naming the image): the image stands, the instance stays stopped.
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
        MachineImage source = instances.imageOf(region, instance);
        TenantStore store = cloud.store(region, caller);
        List<String> made = new ArrayList<>();
        MachineImage image = null;
        try {
            if (restart) {
                instances.stop(caller, region, instanceId);
            }
            List<BlockDeviceMapping> mappings = new ArrayList<>();
            for (Instance.AttachedVolume volume : instance.blockDeviceMappings()) {
                if (volume.ephemeral() || volume.deleted()) {
                    continue;
                }
                SnapshotInfo snapshot = store.createSnapshot(volume.volumeName(),
                        "Created by CreateImage(" + instanceId + ") for " + name);
                made.add(snapshot.id());
                mappings.add(BlockDeviceMapping.ebs(volume.deviceName(), snapshot.id(), ImageRegistry.sizeGiB(snapshot),
                        volume.deleteOnTermination()));
            }
            image = images.newImage(caller, region, name, description, instance.virtualizationType(),
                    instance.architecture(), RootDeviceType.EBS, instance.rootDeviceName(), mappings, source.kernelId(),
                    source.ramdiskId(), null);
            images.add(region, image);
        } catch (RuntimeException e) {
            // an image that is not registered leaves no snapshot behind, and the instance runs again as it did
            if (image == null || !images.isRegistered(region, image.imageId())) {
                for (String id : made.reversed()) {
                    undo(e, () -> store.deleteSnapshot(id));
                }
            }
            if (restart) { // stopped, even if the stop reported a failure after its change was made
                undo(e, () -> {
                    if (instances.find(caller, region, instanceId).state() == InstanceState.STOPPED) {
                        instances.start(caller, region, instanceId);
                    }
                });
            }
            throw e;
        }
        if (restart) {
            try {
                instances.start(caller, region, instanceId);
            } catch (RuntimeException e) {
                throw new AmiforgeException(Kind.FAILED, "RestartFailed", "image " + image.imageId() + " was created, but "
                        + "instance " + instanceId + " could not be started again (start it with instance start): "
                        + e.getMessage(), e);
            }
        }
        return image;
    }

    private static void undo(RuntimeException failure, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
    }
}
