package io.amiforge.cloud;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.cloud.bundle.BundleManifest;
import io.amiforge.cloud.bundle.BundleParts;
import io.amiforge.cloud.bundle.PemKeys;
import io.amiforge.imagefmt.partition.PartitionTable;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.StoreException;
import io.amiforge.store.TenantStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/**
 * The images of each region: registration (from a snapshot or a bundle), DescribeImages,
 * deregistration, and the rule that a snapshot an image uses cannot be deleted. An image is
 * added to the registry in one atomic registry change, after everything it refers to exists.
 */
final class ImageRegistry {

    /** The owner's certificate, kept beside a registered bundle's manifest and parts. */
    static final String OWNER_CERTIFICATE = "owner-cert.pem";

    private final Cloud cloud;
    private final RegionRegistry registry;

    ImageRegistry(Cloud cloud, RegionRegistry registry) {
        this.cloud = cloud;
        this.registry = registry;
    }

    MachineImage register(String caller, String region, Cloud.RegisterRequest request) {
        SnapshotInfo snapshot;
        try {
            snapshot = cloud.store(region, caller).snapshot(request.rootSnapshotId());
        } catch (StoreException e) {
            if (e.kind() != Kind.NOT_FOUND) {
                throw e;
            }
            // the same answer whether the snapshot is missing or another account's: nothing is revealed
            throw new AmiforgeException(Kind.NOT_PERMITTED, "UnauthorizedOperation", "account " + caller
                    + " is not authorized to use snapshot " + request.rootSnapshotId()
                    + " (it does not exist, or is neither the account's nor shared with it)", e);
        }
        long sizeGiB = sizeGiB(snapshot);
        checkRootSize(region, RootDeviceType.EBS, sizeGiB);
        String rootDevice = defaultRootDevice(request.rootDeviceName(), request.virtualization());
        List<BlockDeviceMapping> mappings = new ArrayList<>();
        mappings.add(BlockDeviceMapping.ebs(rootDevice, snapshot.id(), sizeGiB, true));
        if (request.extraMappings() != null) {
            mappings.addAll(request.extraMappings());
        }
        String kernelId = request.kernelId();
        if (request.virtualization() == VirtualizationType.PARAVIRTUAL && kernelId == null) {
            // as EC2's documentation advises: the hd00 PV-GRUB for a partitioned root, hd0 otherwise
            boolean partitioned;
            // the cloud's own read (a permitted account may not read a shared snapshot itself)
            try (BlockDevice root = cloud.store(region).openSnapshot(snapshot.id())) {
                partitioned = !PartitionTable.read(root).partitions().isEmpty();
            }
            kernelId = PvGrubKernels.id(region, request.architecture() == null ? Architecture.X86_64 : request.architecture(),
                    partitioned ? PvGrubKernels.Flavour.HD00 : PvGrubKernels.Flavour.HD0);
        }
        MachineImage image = newImage(caller, region, request.name(), request.description(), request.virtualization(),
                request.architecture(), RootDeviceType.EBS, rootDevice, mappings, kernelId, request.ramdiskId(), null);
        return add(region, image);
    }

    MachineImage registerBundle(String caller, String region, Path manifest, Path ownerCertificate, String name,
                                VirtualizationType virtualization, Architecture architecture, String kernelId) {
        BundleManifest bundle = BundleManifest.read(manifest);
        X509Certificate certificate = PemKeys.readCertificate(ownerCertificate);
        if (!bundle.verifySignature(certificate.getPublicKey())) {
            throw new AmiforgeException(Kind.INVALID_INPUT, "InvalidManifest", manifest + ": the signature over "
                    + "<machine_configuration> and <image> does not verify with the certificate " + ownerCertificate);
        }
        long sizeGiB = Math.max(1, (bundle.image().size() + (1L << 30) - 1) >> 30);
        checkRootSize(region, RootDeviceType.INSTANCE_STORE, sizeGiB);
        String manifestArch = bundle.machine().architecture();
        Architecture arch = architecture != null ? architecture
                : manifestArch != null ? Architecture.parse(manifestArch) : Architecture.X86_64;
        String rootDevice = defaultRootDevice(null, virtualization);
        registry.load(region).checkNameFree(caller, name); // fail before copying; checked again when it is added
        String location = "amiforge-bundles/{imageId}/" + manifest.getFileName();
        List<BlockDeviceMapping> mappings = List.of(new BlockDeviceMapping(rootDevice, null, "ephemeral0", null));
        MachineImage image = newImage(caller, region, name, null, virtualization, arch, RootDeviceType.INSTANCE_STORE,
                rootDevice, mappings, kernelId != null ? kernelId : bundle.machine().kernelId(), bundle.machine().ramdiskId(),
                location);
        Path bundleDir = bundleDir(region, image.imageId());
        try {
            Files.createDirectories(bundleDir);
            // Each part must be a regular file beside the manifest matching its digest before it is copied in.
            BundleParts.copyVerified(bundle, manifest.toAbsolutePath().getParent(), bundleDir, manifest.toString());
            Files.copy(manifest, bundleDir.resolve(manifest.getFileName()));
            Files.copy(ownerCertificate, bundleDir.resolve(OWNER_CERTIFICATE));
        } catch (IOException | RuntimeException e) {
            DirectoryTrees.delete(bundleDir);
            if (e instanceof RuntimeException r) {
                throw r;
            }
            throw new AmiforgeException(Kind.INVALID_INPUT, "InvalidManifest",
                    manifest + ": cannot copy the bundle: " + e.getMessage(), e);
        }
        try {
            return add(region, image);
        } catch (RuntimeException e) {
            if (!isRegistered(region, image.imageId())) {
                DirectoryTrees.delete(bundleDir);
            }
            throw e;
        }
    }

    /** Where a registered bundle's manifest, parts and owner certificate are kept. */
    Path bundleDir(String region, String imageId) {
        return registry.regionDir(region).resolve("bundles").resolve(imageId);
    }

    /** Adds {@code image} to the region's registry unless its owner already has an image of that name. */
    MachineImage add(String region, MachineImage image) {
        return registry.mutate(region, state -> {
            state.checkNameFree(image.ownerId(), image.name());
            state.images().add(image);
            return image;
        });
    }

    /**
     * Whether {@code imageId} is in the region's registry now: after a failed {@link #add} it may
     * be (the registry was renamed into place and only a later fsync failed), so what it refers to
     * must stay.
     */
    boolean isRegistered(String region, String imageId) {
        try {
            return registry.load(region).images().stream().anyMatch(i -> i.imageId().equals(imageId));
        } catch (RuntimeException e) {
            return true; // unknown: keep what the image may refer to
        }
    }

    /** A new available image of {@code caller}'s with a fresh id; checks the name and kernel id. */
    MachineImage newImage(String caller, String region, String name, String description,
                          VirtualizationType virtualization, Architecture architecture, RootDeviceType rootType,
                          String rootDevice, List<BlockDeviceMapping> mappings, String kernelId,
                          String ramdiskId, String location) {
        if (name == null || !name.matches("[A-Za-z0-9()\\[\\] ./'@_-]{3,128}")) {
            throw new AmiforgeException(Kind.USAGE, "InvalidAMIName.Malformed", "image name '" + name
                    + "' must be 3 to 128 characters of letters, digits, spaces and ( ) [ ] . / - ' @ _");
        }
        if (virtualization == VirtualizationType.PARAVIRTUAL && kernelId == null) {
            kernelId = PvGrubKernels.defaultFor(region, architecture == null ? Architecture.X86_64 : architecture);
        }
        if (kernelId != null && !Ids.looksLike("aki", kernelId)) {
            throw new AmiforgeException(Kind.USAGE, "InvalidParameterValue", "kernel id '" + kernelId + "' is not an aki- id");
        }
        String imageId = Ids.next("ami");
        return new MachineImage(imageId, name, description, caller, null, Timestamps.now(), ImageState.AVAILABLE,
                architecture == null ? Architecture.X86_64 : architecture, virtualization, rootType, rootDevice, mappings,
                virtualization == VirtualizationType.PARAVIRTUAL ? kernelId : null, ramdiskId,
                location == null ? null : location.replace("{imageId}", imageId), List.of(),
                virtualization == VirtualizationType.HVM ? "legacy-bios" : null, null, null, LaunchPermissions.NONE);
    }

    /** A snapshot's size in whole GiB, at least one, as an EBS mapping states it. */
    static long sizeGiB(SnapshotInfo snapshot) {
        return Math.max(1, (snapshot.size() + (1L << 30) - 1) >> 30);
    }

    private static String defaultRootDevice(String requested, VirtualizationType virtualization) {
        if (requested != null) {
            if (!requested.matches("/dev/(xvd[a-z]|sd[a-z][0-9]*|nvme[0-9]n1)")) {
                throw new AmiforgeException(Kind.USAGE, "InvalidParameterValue",
                        "root device name '" + requested + "' is not a device name such as /dev/xvda or /dev/sda1");
            }
            return requested;
        }
        return virtualization == VirtualizationType.PARAVIRTUAL ? "/dev/sda1" : "/dev/xvda";
    }

    private static void checkRootSize(String region, RootDeviceType type, long sizeGiB) {
        long limit = type == RootDeviceType.EBS ? Region.named(region).maxEbsRootVolumeGiB() : Region.MAX_INSTANCE_STORE_ROOT_GIB;
        if (sizeGiB > limit) {
            throw new AmiforgeException(Kind.USAGE, "InvalidParameterValue", "root volume of " + sizeGiB + " GiB exceeds the "
                    + (type == RootDeviceType.EBS ? "EBS" : "instance-store") + " root limit of " + limit + " GiB in " + region);
        }
    }

    List<MachineImage> describe(String caller, String region, Cloud.ImageFilter filter) {
        RegionState state = registry.load(region);
        List<MachineImage> result = new ArrayList<>();
        for (MachineImage image : state.images()) {
            if (image.state() == ImageState.DEREGISTERED || !image.launchableBy(caller)) {
                continue;
            }
            if (filter.imageIds() != null && !filter.imageIds().contains(image.imageId())) {
                continue;
            }
            if (filter.owners() != null && filter.owners().stream().noneMatch(o -> ownerMatches(o, image, caller))) {
                continue;
            }
            if (filter.executableBy() != null && filter.executableBy().stream().noneMatch(e -> executableBy(e, image, caller))) {
                continue;
            }
            result.add(image.asSeenBy(caller));
        }
        if (filter.imageIds() != null) {
            for (String id : filter.imageIds()) {
                if (result.stream().noneMatch(i -> i.imageId().equals(id))) {
                    throw RegionState.imageNotFound(id, region);
                }
            }
        }
        return result;
    }

    private static boolean ownerMatches(String owner, MachineImage image, String caller) {
        return switch (owner) {
            case "self" -> image.ownerId().equals(caller);
            case "amazon", "aws-marketplace" -> owner.equals(image.imageOwnerAlias());
            default -> image.ownerId().equals(owner);
        };
    }

    private static boolean executableBy(String who, MachineImage image, String caller) {
        return switch (who) {
            case "all" -> image.isPublic();
            case "self" -> image.launchableBy(caller);
            default -> image.ownerId().equals(who) || image.launchPermissions().allows(who);
        };
    }

    void deregister(String caller, String region, String imageId) {
        registry.mutate(region, state -> {
            ImagePermissions.owned(state, imageId, caller, region, "deregister");
            return state.images().removeIf(i -> i.imageId().equals(imageId));
        });
    }

    void deleteSnapshot(String caller, String region, String snapshotId) {
        TenantStore store = cloud.store(region, caller);
        SnapshotInfo snapshot = store.snapshot(snapshotId);
        if (!snapshot.ownerId().equals(caller)) {
            store.deleteSnapshot(snapshotId); // a shared snapshot: the store answers NotFound, as for a missing one
        }
        for (MachineImage image : registry.load(region).images()) {
            for (BlockDeviceMapping mapping : image.blockDeviceMappings()) {
                if (mapping.ebs() != null && snapshotId.equals(mapping.ebs().snapshotId())) {
                    throw new AmiforgeException(Kind.NOT_PERMITTED, "InvalidSnapshot.InUse", "The snapshot " + snapshotId
                            + " is currently in use by " + image.imageId() + " (deregister it first)");
                }
            }
        }
        store.deleteSnapshot(snapshotId);
    }
}
