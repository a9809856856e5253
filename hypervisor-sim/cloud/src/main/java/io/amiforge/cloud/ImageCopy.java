package io.amiforge.cloud;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.AmiforgeException.Kind;
import java.util.ArrayList;
import java.util.List;

/**
 * CopyImage: an EBS-backed image the caller may launch, copied into another region with its
 * snapshots ({@link SnapshotCopier}, incremental), and registered there as the caller's.
 */
final class ImageCopy {

    private final Cloud cloud;
    private final RegionRegistry registry;
    private final ImageRegistry images;
    private final ImagePermissions permissions;

    ImageCopy(Cloud cloud, RegionRegistry registry, ImageRegistry images, ImagePermissions permissions) {
        this.cloud = cloud;
        this.registry = registry;
        this.images = images;
        this.permissions = permissions;
    }

    Cloud.CopyResult copy(String caller, String sourceRegion, String imageId, String destRegion, String name) {
        Region.named(destRegion);
        if (Region.named(sourceRegion).name().equals(destRegion)) {
            throw new AmiforgeException(Kind.USAGE, "InvalidParameterValue", "source and destination region are both " + destRegion);
        }
        MachineImage image = registry.load(sourceRegion).image(imageId, sourceRegion);
        if (!image.launchableBy(caller)) {
            throw RegionState.imageNotFound(imageId, sourceRegion);
        }
        if (image.rootDeviceType() != RootDeviceType.EBS) {
            throw new AmiforgeException(Kind.USAGE, "InvalidParameterValue",
                    "copy of instance-store image " + imageId + " is not supported; copy its bundle and register it");
        }
        for (BlockDeviceMapping mapping : image.blockDeviceMappings()) {
            if (mapping.ebs() != null) {
                permissions.authority(sourceRegion, image, caller, mapping.ebs().snapshotId()); // before anything is copied
            }
        }
        SnapshotCopier copier = new SnapshotCopier(cloud.store(sourceRegion), sourceRegion, cloud.store(destRegion, caller));
        String copyId = Ids.next("ami");
        MachineImage copy;
        try {
            List<BlockDeviceMapping> mappings = new ArrayList<>();
            for (BlockDeviceMapping mapping : image.blockDeviceMappings()) {
                if (mapping.ebs() == null) {
                    mappings.add(mapping);
                    continue;
                }
                String copied = copier.copy(mapping.ebs().snapshotId());
                BlockDeviceMapping.Ebs ebs = mapping.ebs();
                mappings.add(new BlockDeviceMapping(mapping.deviceName(),
                        new BlockDeviceMapping.Ebs(copied, ebs.volumeSize(), ebs.volumeType(), ebs.deleteOnTermination(), ebs.encrypted()),
                        null, null));
            }
            String kernelId = image.virtualizationType() == VirtualizationType.PARAVIRTUAL
                    ? PvGrubKernels.equivalentIn(image.kernelId(), destRegion, image.architecture()) : null;
            copy = new MachineImage(copyId, name != null ? name : image.name(), image.description(), caller,
                    null, Timestamps.now(), ImageState.AVAILABLE, image.architecture(), image.virtualizationType(),
                    image.rootDeviceType(), image.rootDeviceName(), mappings, kernelId, image.ramdiskId(), null,
                    image.productCodes(), image.bootMode(), imageId, sourceRegion, LaunchPermissions.NONE);
            images.add(destRegion, copy);
        } catch (RuntimeException e) {
            // nothing of a copy that is not registered stays; one that is (only a late fsync failed) keeps its snapshots
            if (!images.isRegistered(destRegion, copyId)) {
                RuntimeException undo = copier.undo();
                if (undo != null) {
                    e.addSuppressed(undo);
                }
            }
            throw e;
        }
        return new Cloud.CopyResult(copy, copier.blocksCopied(), copier.blocksSkipped(), copier.blockSize());
    }
}
