package io.amiforge.cloud.server.ec2;

import io.amiforge.cloud.Architecture;
import io.amiforge.cloud.BlockDeviceMapping;
import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.MachineImage;
import io.amiforge.cloud.VirtualizationType;
import io.amiforge.cloud.server.http.ApiException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The image actions: DescribeImages, RegisterImage, DeregisterImage, CopyImage, CreateImage and
 * Describe/Modify/ResetImageAttribute (launchPermission, description).
 */
final class ImageActions {

    private static final Map<String, Function<MachineImage, List<String>>> FILTERS = Map.ofEntries(
            Map.entry("image-id", i -> List.of(i.imageId())),
            Map.entry("name", i -> listOf(i.name())),
            Map.entry("description", i -> listOf(i.description())),
            Map.entry("owner-id", i -> List.of(i.ownerId())),
            Map.entry("owner-alias", i -> listOf(i.imageOwnerAlias())),
            Map.entry("state", i -> List.of(i.state().wireName())),
            Map.entry("architecture", i -> List.of(i.architecture().wireName())),
            Map.entry("virtualization-type", i -> List.of(i.virtualizationType().wireName())),
            Map.entry("root-device-type", i -> List.of(i.rootDeviceType().wireName())),
            Map.entry("root-device-name", i -> listOf(i.rootDeviceName())),
            Map.entry("is-public", i -> List.of(Boolean.toString(i.isPublic()))),
            Map.entry("image-type", i -> List.of(i.imageType())),
            Map.entry("kernel-id", i -> listOf(i.kernelId())),
            Map.entry("block-device-mapping.snapshot-id", i -> i.blockDeviceMappings().stream()
                    .filter(m -> m.ebs() != null).map(m -> m.ebs().snapshotId()).toList()));

    private ImageActions() {
    }

    private static List<String> listOf(String value) {
        return value == null ? List.of() : List.of(value);
    }

    static XmlWriter describeImages(Ec2Call call) {
        Ec2Params p = call.params();
        List<String> ids = p.list("ImageId");
        ids.forEach(Ids::image);
        List<String> owners = p.list("Owner");
        List<String> executable = p.list("ExecutableBy");
        Map<String, List<String>> filters = p.filters();
        call.dryRunStop();
        List<MachineImage> images = call.cloud().describeImages(call.account(), call.region(), new Cloud.ImageFilter(
                owners.isEmpty() ? null : owners, executable.isEmpty() ? null : executable, ids.isEmpty() ? null : ids));
        images = Pages.filter(images, filters, FILTERS);
        Pages.Page<MachineImage> page = ids.isEmpty() ? Pages.page(images, p, 5, 1000) : new Pages.Page<>(images, null);
        XmlWriter w = call.response().start("imagesSet");
        for (MachineImage image : page.items()) {
            image(w, image);
        }
        return w.end().element("nextToken", page.nextToken());
    }

    private static void image(XmlWriter w, MachineImage i) {
        w.start("item").element("imageId", i.imageId()).element("imageLocation", i.location())
                .element("imageState", i.state().wireName()).element("imageOwnerId", i.ownerId())
                .element("creationDate", i.creationDate()).element("isPublic", i.isPublic())
                .element("architecture", i.architecture().wireName()).element("imageType", i.imageType())
                .element("kernelId", i.kernelId()).element("ramdiskId", i.ramdiskId())
                .element("imageOwnerAlias", i.imageOwnerAlias()).element("name", i.name())
                .element("description", i.description()).element("rootDeviceType", i.rootDeviceType().wireName())
                .element("rootDeviceName", i.rootDeviceName());
        w.start("blockDeviceMapping");
        for (BlockDeviceMapping m : i.blockDeviceMappings()) {
            w.start("item").element("deviceName", m.deviceName()).element("virtualName", m.virtualName());
            if (m.ebs() != null) {
                w.start("ebs").element("snapshotId", m.ebs().snapshotId()).element("volumeSize", m.ebs().volumeSize())
                        .element("deleteOnTermination", m.ebs().deleteOnTermination())
                        .element("volumeType", m.ebs().volumeType()).element("encrypted", m.ebs().encrypted()).end();
            }
            w.element("noDevice", m.noDevice()).end();
        }
        w.end().element("virtualizationType", i.virtualizationType().wireName()).element("hypervisor", i.hypervisor())
                .element("bootMode", i.bootMode()).element("platformDetails", i.platformDetails())
                .element("sourceImageId", i.sourceImageId()).element("sourceImageRegion", i.sourceRegion()).end();
    }

    /** RegisterImage of an instance-store image from a bundle ({@link BundleLocations} says where it is read from). */
    private static XmlWriter registerBundle(Ec2Call call, String name) {
        Ec2Params p = call.params();
        if (!p.members("BlockDeviceMapping").isEmpty() || p.get("RootDeviceName") != null || p.get("RamdiskId") != null) {
            throw new ApiException(400, "InvalidParameterCombination", "ImageLocation registers an instance-store image from its "
                    + "bundle: BlockDeviceMapping, RootDeviceName and RamdiskId come from the manifest, not the request");
        }
        BundleLocations locations = new BundleLocations(call.cloud().root());
        Path manifest = locations.manifest(p.get("ImageLocation"));
        Path certificate = locations.certificate(call.account());
        String virt = p.get("VirtualizationType");
        VirtualizationType virtualization = virt == null ? VirtualizationType.PARAVIRTUAL : VirtualizationType.parse(virt);
        String arch = p.get("Architecture");
        call.dryRunStop();
        MachineImage image = call.cloud().registerBundle(call.account(), call.region(), manifest, certificate, name,
                virtualization, arch == null ? null : Architecture.parse(arch), p.get("KernelId"));
        return call.response().element("imageId", image.imageId());
    }

    static XmlWriter registerImage(Ec2Call call) {
        Ec2Params p = call.params();
        String name = p.required("Name");
        if (p.get("ImageLocation") != null) {
            return registerBundle(call, name);
        }
        String rootDevice = p.get("RootDeviceName");
        String rootSnapshot = null;
        List<BlockDeviceMapping> extra = new ArrayList<>();
        for (var member : p.members("BlockDeviceMapping").entrySet()) {
            Map<String, String> m = member.getValue();
            String device = m.get("DeviceName");
            if (device == null) {
                throw new ApiException(400, "MissingParameter", "The request must contain the parameter BlockDeviceMapping."
                        + member.getKey() + ".DeviceName");
            }
            String snapshot = m.get("Ebs.SnapshotId");
            if (snapshot != null) {
                Ids.snapshot(snapshot);
            }
            boolean isRoot = rootDevice == null ? rootSnapshot == null && snapshot != null : device.equals(rootDevice);
            if (isRoot && snapshot != null) {
                rootSnapshot = snapshot;
                rootDevice = device;
            } else if (m.get("VirtualName") != null) {
                extra.add(new BlockDeviceMapping(device, null, m.get("VirtualName"), null));
            } else if (snapshot != null || m.get("Ebs.VolumeSize") != null) {
                long size = m.get("Ebs.VolumeSize") == null ? 1 : new Ec2Params(Map.of("s", List.of(m.get("Ebs.VolumeSize"))))
                        .integer("s", 1, 65536, 1);
                boolean delete = !"false".equalsIgnoreCase(m.get("Ebs.DeleteOnTermination"));
                extra.add(new BlockDeviceMapping(device, new BlockDeviceMapping.Ebs(snapshot, size,
                        m.getOrDefault("Ebs.VolumeType", "gp3"), delete, false), null, null));
            }
        }
        if (rootSnapshot == null) {
            throw new ApiException(400, "InvalidBlockDeviceMapping", "no block device mapping gives the root device "
                    + (rootDevice == null ? "" : rootDevice + " ") + "an Ebs.SnapshotId");
        }
        String virt = p.get("VirtualizationType");
        VirtualizationType virtualization = virt == null ? VirtualizationType.HVM : VirtualizationType.parse(virt);
        String arch = p.get("Architecture");
        Architecture architecture = arch == null ? null : Architecture.parse(arch);
        call.dryRunStop();
        MachineImage image = call.cloud().registerImage(call.account(), call.region(), new Cloud.RegisterRequest(name,
                p.get("Description"), rootSnapshot, virtualization, architecture, p.get("KernelId"), p.get("RamdiskId"),
                rootDevice, extra));
        return call.response().element("imageId", image.imageId());
    }

    static XmlWriter deregisterImage(Ec2Call call) {
        String id = Ids.image(call.params().required("ImageId"));
        call.dryRunStop();
        call.cloud().deregisterImage(call.account(), call.region(), id);
        return call.ok();
    }

    static XmlWriter copyImage(Ec2Call call) {
        Ec2Params p = call.params();
        String id = Ids.image(p.required("SourceImageId"));
        String sourceRegion = p.required("SourceRegion");
        String name = p.required("Name");
        call.dryRunStop();
        Cloud.CopyResult result = call.cloud().copyImage(call.account(), sourceRegion, id, call.region(), name);
        return call.response().element("imageId", result.image().imageId());
    }

    static XmlWriter createImage(Ec2Call call) {
        Ec2Params p = call.params();
        String instance = Ids.instance(p.required("InstanceId"));
        String name = p.required("Name");
        boolean noReboot = p.bool("NoReboot", false);
        call.dryRunStop();
        MachineImage image = call.cloud().createImage(call.account(), call.region(), instance, name, p.get("Description"), noReboot);
        return call.response().element("imageId", image.imageId());
    }

    static XmlWriter describeImageAttribute(Ec2Call call) {
        Ec2Params p = call.params();
        String id = Ids.image(p.required("ImageId"));
        String attribute = p.required("Attribute");
        call.dryRunStop();
        MachineImage image = call.cloud().describeImages(call.account(), call.region(),
                new Cloud.ImageFilter(null, null, List.of(id))).getFirst();
        XmlWriter w = call.response().element("imageId", id);
        switch (attribute) {
            case "launchPermission" -> {
                if (!image.ownerId().equals(call.account())) {
                    throw new ApiException(403, "UnauthorizedOperation", "account " + call.account()
                            + " is not authorized to describe the launch permissions of " + id + " (owner " + image.ownerId() + ")");
                }
                w.start("launchPermission");
                if (image.isPublic()) {
                    w.start("item").element("group", "all").end();
                }
                for (String user : image.launchPermissions().userIds()) {
                    w.start("item").element("userId", user).end();
                }
                w.end();
            }
            case "description" -> w.start("description").element("value", image.description()).end();
            default -> throw new ApiException(400, "InvalidRequest", "attribute " + attribute
                    + " is not supported (launchPermission, description)");
        }
        return w;
    }

    static XmlWriter modifyImageAttribute(Ec2Call call) {
        Ec2Params p = call.params();
        String id = Ids.image(p.required("ImageId"));
        PermissionChange change = PermissionChange.of(p, "LaunchPermission", ImageActions::checkGroup);
        if (change.isEmpty()) {
            throw new ApiException(400, "MissingParameter", "ModifyImageAttribute needs LaunchPermission.Add/Remove or "
                    + "OperationType with UserId/UserGroup (only launchPermission can be modified)");
        }
        call.dryRunStop();
        call.cloud().modifyLaunchPermission(call.account(), call.region(), id, change.add(), change.remove());
        return call.ok();
    }

    private static String checkGroup(String group) {
        if (!group.equals("all")) {
            throw Ec2Params.invalid("Group", group, "all");
        }
        return group;
    }

    static XmlWriter resetImageAttribute(Ec2Call call) {
        Ec2Params p = call.params();
        String id = Ids.image(p.required("ImageId"));
        String attribute = p.required("Attribute");
        if (!attribute.equals("launchPermission")) {
            throw Ec2Params.invalid("Attribute", attribute, "launchPermission");
        }
        call.dryRunStop();
        call.cloud().resetLaunchPermission(call.account(), call.region(), id);
        return call.ok();
    }
}
