package io.amiforge.cloud;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.FileBlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.cloud.bundle.BundleManifest;
import io.amiforge.cloud.bundle.BundleParts;
import io.amiforge.cloud.bundle.PemKeys;
import io.amiforge.cloud.bundle.Unbundler;
import io.amiforge.imagefmt.partition.PartitionTable;
import io.amiforge.store.AccountId;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.StoreException;
import io.amiforge.store.StoreLock;
import io.amiforge.store.TenantStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * The simulated cloud over one store directory: per region, a snapshot store and a registry of
 * images and instances. Every method acts as an account ({@code caller}) in a region and
 * enforces EC2's rules: ownership and launch permissions, instance-type compatibility, root
 * device limits, and the lifecycle of each root-device type. A method that returns has made
 * its change durable.
 *
 * <p>Layout: per region {@code ROOT/regions/NAME/store/} (the snapshot store),
 * {@code ROOT/regions/NAME/registry.json} (images and instances) with its lock
 * {@code registry.lock}, {@code ROOT/regions/NAME/bundles/}. Several processes may use one root
 * at once: every registry change re-reads the registry and saves it under the registry lock,
 * held only for that read-modify-write; volumes are locked by the snapshot store (a volume in use
 * by another process fails with {@code StoreLocked} naming it and the holder's pid).
 */
public final class Cloud implements AutoCloseable {

    private final Path root;
    private final Booter booter;
    private final Map<String, SnapshotStore> stores = new HashMap<>();

    private Cloud(Path root, Booter booter) {
        this.root = root;
        this.booter = booter;
    }

    /** Opens (creating if needed) the cloud state under {@code root}; other processes may have it open too. */
    public static Cloud open(Path root, Booter booter) {
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new AmiforgeException(Kind.FAILED, "IOError", root + ": cannot open store: " + e.getMessage(), e);
        }
        return new Cloud(root, booter);
    }

    public Path root() {
        return root;
    }

    /** The cloud's own key pair and certificate ("the EC2 certificate" bundles encrypt their key to). */
    public Ec2Credentials ec2Credentials() {
        return Ec2Credentials.loadOrCreate(root.resolve("ec2"), "amiforge-ec2");
    }

    /** The directory that holds one region's state. */
    public Path regionDir(String region) {
        return root.resolve("regions").resolve(Region.named(region).name());
    }

    /** The snapshot store of {@code region}, opened on first use and kept open until {@link #close()}. */
    public synchronized SnapshotStore store(String region) {
        return stores.computeIfAbsent(Region.named(region).name(), r -> SnapshotStore.open(storeDir(root, r)));
    }

    /**
     * The region's snapshot store as {@code account} sees it: everything a tenant asks of the
     * store goes through this view, so another account's volumes and snapshots do not exist for it.
     */
    public TenantStore store(String region, String account) {
        return store(region).as(AccountId.of(account));
    }

    /**
     * The account on whose authority {@code caller} may use {@code snapshotId}, a snapshot of an
     * image it may launch: itself if it owns the snapshot or the snapshot is shared with it, else
     * the image's owner if that account owns the snapshot (sharing an image shares its owner's
     * data). An image registered from a snapshot shared with its owner does not pass that share
     * on: {@code UnauthorizedOperation}.
     */
    private AccountId authority(String region, MachineImage image, String caller, String snapshotId) {
        SnapshotInfo snapshot;
        try {
            snapshot = store(region, caller).snapshot(snapshotId);
            return AccountId.of(caller);
        } catch (StoreException e) {
            if (e.kind() != Kind.NOT_FOUND) {
                throw e;
            }
        }
        try {
            snapshot = store(region, image.ownerId()).snapshot(snapshotId);
        } catch (StoreException e) {
            if (e.kind() != Kind.NOT_FOUND) {
                throw e;
            }
            snapshot = null;
        }
        if (snapshot == null || !snapshot.ownerId().equals(image.ownerId())) {
            throw new AmiforgeException(Kind.NOT_PERMITTED, "UnauthorizedOperation", "account " + caller
                    + " is not authorized to use snapshot " + snapshotId + " of image " + image.imageId()
                    + " (it is not shared with the account, and the image's owner does not own it)");
        }
        return AccountId.of(image.ownerId());
    }

    /** Where the snapshot store of {@code region} lives under a store root: {@code ROOT/regions/REGION/store}. */
    public static Path storeDir(Path root, String region) {
        return root.resolve("regions").resolve(Region.named(region).name()).resolve("store");
    }

    // ---------------------------------------------------------------- registry state

    private RegionState load(String region) {
        Path file = regionDir(region).resolve("registry.json");
        RegionState state = AtomicFiles.read(file, RegionState.class);
        if (state == null) {
            return RegionState.empty();
        }
        if (state.formatVersion() != RegionState.FORMAT_VERSION) {
            throw new AmiforgeException(Kind.INVALID_INPUT, "UnsupportedStoreVersion", file + ": registry format version "
                    + state.formatVersion() + " is not supported (this amiforge reads version " + RegionState.FORMAT_VERSION + ")");
        }
        return state;
    }

    /**
     * Read-modify-write of a region's registry: under the registry lock (waiting for another
     * process's change to finish), reads it, applies {@code change} and saves it. Keep
     * {@code change} short: it holds every other process's registry change up.
     */
    private <T> T mutate(String region, Function<RegionState, T> change) {
        Path dir = regionDir(region);
        try (StoreLock _ = StoreLock.acquire(dir.resolve("registry.lock"), "registry of region " + region)) {
            RegionState state = load(region);
            T result = change.apply(state);
            save(region, state);
            return result;
        }
    }

    private void save(String region, RegionState state) {
        Path dir = regionDir(region);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new AmiforgeException(Kind.FAILED, "IOError", dir + ": " + e.getMessage(), e);
        }
        AtomicFiles.write(dir.resolve("registry.json"), state);
    }

    private static MachineImage findImage(RegionState state, String imageId, String region) {
        return state.images().stream().filter(i -> i.imageId().equals(imageId)).findFirst()
                .orElseThrow(() -> imageNotFound(imageId, region));
    }

    private static AmiforgeException imageNotFound(String imageId, String region) {
        return new AmiforgeException(Kind.NOT_FOUND, "InvalidAMIID.NotFound",
                "The image id '[" + imageId + "]' does not exist in " + region);
    }

    private static void replaceImage(RegionState state, MachineImage image) {
        state.images().replaceAll(i -> i.imageId().equals(image.imageId()) ? image : i);
    }

    /** The image if {@code caller} owns it; UnauthorizedOperation if it can see but not own it. */
    private static MachineImage owned(RegionState state, String imageId, String caller, String region, String action) {
        MachineImage image = findImage(state, imageId, region);
        if (!image.ownerId().equals(caller)) {
            if (!image.launchableBy(caller)) {
                throw imageNotFound(imageId, region);
            }
            throw new AmiforgeException(Kind.NOT_PERMITTED, "UnauthorizedOperation",
                    "account " + caller + " is not authorized to " + action + " " + imageId + " (owner " + image.ownerId() + ")");
        }
        return image;
    }

    // ---------------------------------------------------------------- images

    /** The parameters of {@link #registerImage}. {@code rootDeviceName} and {@code architecture} may be null. */
    public record RegisterRequest(String name, String description, String rootSnapshotId,
                                  VirtualizationType virtualization, Architecture architecture,
                                  String kernelId, String ramdiskId, String rootDeviceName,
                                  List<BlockDeviceMapping> extraMappings) {
    }

    /** Registers an EBS-backed image whose root device is made from {@code rootSnapshotId}. */
    public MachineImage registerImage(String caller, String region, RegisterRequest request) {
        SnapshotInfo snapshot;
        try {
            snapshot = store(region, caller).snapshot(request.rootSnapshotId());
        } catch (StoreException e) {
            if (e.kind() != Kind.NOT_FOUND) {
                throw e;
            }
            // the same answer whether the snapshot is missing or another account's: nothing is revealed
            throw new AmiforgeException(Kind.NOT_PERMITTED, "UnauthorizedOperation", "account " + caller
                    + " is not authorized to use snapshot " + request.rootSnapshotId()
                    + " (it does not exist, or is neither the account's nor shared with it)", e);
        }
        long sizeGiB = Math.max(1, (snapshot.size() + (1L << 30) - 1) >> 30);
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
            try (BlockDevice root = store(region).openSnapshot(snapshot.id())) {
                partitioned = !PartitionTable.read(root).partitions().isEmpty();
            }
            kernelId = PvGrubKernels.id(region, request.architecture() == null ? Architecture.X86_64 : request.architecture(),
                    partitioned ? PvGrubKernels.Flavour.HD00 : PvGrubKernels.Flavour.HD0);
        }
        MachineImage image = newImage(caller, region, request.name(), request.description(), request.virtualization(),
                request.architecture(), RootDeviceType.EBS, rootDevice, mappings, kernelId, request.ramdiskId(), null);
        return mutate(region, state -> {
            checkNameFree(state, caller, request.name());
            state.images().add(image);
            return image;
        });
    }

    /**
     * Registers an instance-store-backed image from a bundle: the manifest's signature is
     * checked against the owner's certificate (as EC2 knows each account's X.509 certificate),
     * then the manifest, its parts and the certificate are copied into the region (as S3 would
     * hold them) and the image's ImageLocation names them.
     */
    public MachineImage registerBundle(String caller, String region, Path manifest, Path ownerCertificate, String name,
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
        checkNameFree(load(region), caller, name); // fail before copying; checked again when it is added
        String location = "amiforge-bundles/{imageId}/" + manifest.getFileName();
        List<BlockDeviceMapping> mappings = List.of(new BlockDeviceMapping(rootDevice, null, "ephemeral0", null));
        MachineImage image = newImage(caller, region, name, null, virtualization, arch, RootDeviceType.INSTANCE_STORE,
                rootDevice, mappings, kernelId != null ? kernelId : bundle.machine().kernelId(), bundle.machine().ramdiskId(),
                location);
        Path bundleDir = regionDir(region).resolve("bundles").resolve(image.imageId());
        try {
            Files.createDirectories(bundleDir);
            // Each part must be a regular file beside the manifest matching its digest before it is copied in.
            BundleParts.copyVerified(bundle, manifest.toAbsolutePath().getParent(), bundleDir, manifest.toString());
            Files.copy(manifest, bundleDir.resolve(manifest.getFileName()));
            Files.copy(ownerCertificate, bundleDir.resolve(OWNER_CERTIFICATE));
        } catch (IOException | RuntimeException e) {
            deleteTree(bundleDir);
            if (e instanceof RuntimeException r) {
                throw r;
            }
            throw new AmiforgeException(Kind.INVALID_INPUT, "InvalidManifest",
                    manifest + ": cannot copy the bundle: " + e.getMessage(), e);
        }
        return mutate(region, state -> {
            checkNameFree(state, caller, name);
            state.images().add(image);
            return image;
        });
    }

    private static final String OWNER_CERTIFICATE = "owner-cert.pem";

    private MachineImage newImage(String caller, String region, String name, String description,
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
        return new MachineImage(imageId, name, description, caller, null, now(), ImageState.AVAILABLE,
                architecture == null ? Architecture.X86_64 : architecture, virtualization, rootType, rootDevice, mappings,
                virtualization == VirtualizationType.PARAVIRTUAL ? kernelId : null, ramdiskId,
                location == null ? null : location.replace("{imageId}", imageId), List.of(),
                virtualization == VirtualizationType.HVM ? "legacy-bios" : null, null, null, LaunchPermissions.NONE);
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

    private static void checkNameFree(RegionState state, String owner, String name) {
        boolean taken = state.images().stream().anyMatch(i -> i.ownerId().equals(owner) && i.name().equals(name)
                && i.state() != ImageState.DEREGISTERED);
        if (taken) {
            throw new AmiforgeException(Kind.USAGE, "InvalidAMIName.Duplicate",
                    "AMI name '" + name + "' is already in use by an image of account " + owner);
        }
    }

    private static void checkRootSize(String region, RootDeviceType type, long sizeGiB) {
        long limit = type == RootDeviceType.EBS ? Region.named(region).maxEbsRootVolumeGiB() : Region.MAX_INSTANCE_STORE_ROOT_GIB;
        if (sizeGiB > limit) {
            throw new AmiforgeException(Kind.USAGE, "InvalidParameterValue", "root volume of " + sizeGiB + " GiB exceeds the "
                    + (type == RootDeviceType.EBS ? "EBS" : "instance-store") + " root limit of " + limit + " GiB in " + region);
        }
    }

    /** What {@link #describeImages} selects; null fields select everything. */
    public record ImageFilter(List<String> owners, List<String> executableBy, List<String> imageIds) {
    }

    /**
     * The images {@code caller} can see (its own, those shared with it, public ones), narrowed
     * by the filter, as EC2 DescribeImages. Asking for an image id that does not exist or is
     * not visible is {@code InvalidAMIID.NotFound}.
     */
    public List<MachineImage> describeImages(String caller, String region, ImageFilter filter) {
        RegionState state = load(region);
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
                    throw imageNotFound(id, region);
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

    /** Adds and removes launch permissions (account ids or {@code all}); only the owner may. */
    public MachineImage modifyLaunchPermission(String caller, String region, String imageId, List<String> add, List<String> remove) {
        return mutate(region, state -> {
            MachineImage image = owned(state, imageId, caller, region, "modify launch permissions of");
            LaunchPermissions permissions = image.launchPermissions();
            for (String who : add) {
                permissions = permissions.add(checkPrincipal(who));
            }
            for (String who : remove) {
                permissions = permissions.remove(checkPrincipal(who));
            }
            MachineImage updated = image.withLaunchPermissions(permissions);
            replaceImage(state, updated);
            return updated;
        });
    }

    /** Makes the image private again: only the owner may launch it. */
    public MachineImage resetLaunchPermission(String caller, String region, String imageId) {
        return mutate(region, state -> {
            MachineImage image = owned(state, imageId, caller, region, "reset launch permissions of");
            MachineImage updated = image.withLaunchPermissions(LaunchPermissions.NONE);
            replaceImage(state, updated);
            return updated;
        });
    }

    private static String checkPrincipal(String who) {
        if (!who.equals("all") && !who.matches("\\d{12}")) {
            throw new AmiforgeException(Kind.USAGE, "InvalidParameterValue",
                    "launch permission '" + who + "' is neither a 12-digit account id nor 'all'");
        }
        return who;
    }

    /** Deregisters an image; its snapshots stay, as in EC2. Only the owner may. */
    public void deregisterImage(String caller, String region, String imageId) {
        mutate(region, state -> {
            owned(state, imageId, caller, region, "deregister");
            return state.images().removeIf(i -> i.imageId().equals(imageId));
        });
    }

    /** Deletes a snapshot unless a registered image still uses it ({@code InvalidSnapshot.InUse}). */
    public void deleteSnapshot(String caller, String region, String snapshotId) {
        TenantStore store = store(region, caller);
        SnapshotInfo snapshot = store.snapshot(snapshotId);
        if (!snapshot.ownerId().equals(caller)) {
            store.deleteSnapshot(snapshotId); // a shared snapshot: the store answers NotFound, as for a missing one
        }
        for (MachineImage image : load(region).images()) {
            for (BlockDeviceMapping mapping : image.blockDeviceMappings()) {
                if (mapping.ebs() != null && snapshotId.equals(mapping.ebs().snapshotId())) {
                    throw new AmiforgeException(Kind.NOT_PERMITTED, "InvalidSnapshot.InUse", "The snapshot " + snapshotId
                            + " is currently in use by " + image.imageId() + " (deregister it first)");
                }
            }
        }
        store.deleteSnapshot(snapshotId);
    }

    /** The outcome of {@link #copyImage}: the new image and how many blocks really crossed regions. */
    public record CopyResult(MachineImage image, long blocksCopied, long blocksAlreadyPresent, int blockSize) {
    }

    /**
     * Copies an image the caller may launch into another region, with its snapshots. The copy is
     * incremental: snapshot layers the destination already holds (from an earlier copy of the
     * same lineage) are reused, so only new blocks cross.
     */
    public CopyResult copyImage(String caller, String sourceRegion, String imageId, String destRegion, String name) {
        Region.named(destRegion);
        if (Region.named(sourceRegion).name().equals(destRegion)) {
            throw new AmiforgeException(Kind.USAGE, "InvalidParameterValue", "source and destination region are both " + destRegion);
        }
        MachineImage image = findImage(load(sourceRegion), imageId, sourceRegion);
        if (!image.launchableBy(caller)) {
            throw imageNotFound(imageId, sourceRegion);
        }
        if (image.rootDeviceType() != RootDeviceType.EBS) {
            throw new AmiforgeException(Kind.USAGE, "InvalidParameterValue",
                    "copy of instance-store image " + imageId + " is not supported; copy its bundle and register it");
        }
        for (BlockDeviceMapping mapping : image.blockDeviceMappings()) {
            if (mapping.ebs() != null) {
                authority(sourceRegion, image, caller, mapping.ebs().snapshotId()); // before anything is copied
            }
        }
        SnapshotCopier copier = new SnapshotCopier(store(sourceRegion), sourceRegion, store(destRegion, caller));
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
        MachineImage copy = new MachineImage(Ids.next("ami"), name != null ? name : image.name(), image.description(), caller,
                null, now(), ImageState.AVAILABLE, image.architecture(), image.virtualizationType(), image.rootDeviceType(),
                image.rootDeviceName(), mappings, kernelId, image.ramdiskId(), null, image.productCodes(), image.bootMode(),
                imageId, sourceRegion, LaunchPermissions.NONE);
        mutate(destRegion, dest -> {
            checkNameFree(dest, caller, copy.name());
            return dest.images().add(copy);
        });
        return new CopyResult(copy, copier.blocksCopied(), copier.blocksSkipped(), copier.blockSize());
    }

    // ---------------------------------------------------------------- instances

    private static Instance findInstance(RegionState state, String instanceId, String caller, String region) {
        Instance instance = state.instances().stream().filter(i -> i.instanceId().equals(instanceId)).findFirst()
                .orElse(null);
        if (instance == null || !instance.ownerId().equals(caller)) {
            throw new AmiforgeException(Kind.NOT_FOUND, "InvalidInstanceID.NotFound",
                    "The instance ID '" + instanceId + "' does not exist in " + region);
        }
        return instance;
    }

    private Instance update(String region, String instanceId, String caller, UnaryOperator<Instance> change) {
        return mutate(region, state -> {
            Instance updated = change.apply(findInstance(state, instanceId, caller, region));
            state.instances().replaceAll(i -> i.instanceId().equals(instanceId) ? updated : i);
            return updated;
        });
    }

    /**
     * Launches one instance of {@code imageId}: checks launch permission and instance-type
     * compatibility, makes the root device (a lazy clone of the root snapshot for EBS images;
     * the bundle unpacked into instance storage for instance-store images), and boots it.
     */
    public Instance runInstance(String caller, String region, String imageId, String typeName, String zone) {
        RegionState state = load(region);
        MachineImage image = state.images().stream().filter(i -> i.imageId().equals(imageId)).findFirst()
                .orElseThrow(() -> imageNotFound(imageId, region));
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
        TenantStore store = store(region, caller);
        List<Instance.AttachedVolume> volumes = new ArrayList<>();
        try {
            for (BlockDeviceMapping mapping : image.blockDeviceMappings()) {
                String volumeName = instanceId + "-" + mapping.deviceName().substring("/dev/".length());
                if (mapping.ebs() != null) {
                    AccountId grantor = authority(region, image, caller, mapping.ebs().snapshotId());
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
            deleteInstanceStore(region, instanceId);
            throw e;
        }
        Instance instance = new Instance(instanceId, imageId, type.name(), caller, region, az, InstanceState.PENDING,
                null, now(), image.architecture(), image.virtualizationType(), image.rootDeviceType(),
                image.rootDeviceName(), volumes, null);
        mutate(region, s -> s.instances().add(instance));
        return boot(region, instance, image, type, "launched");
    }

    /**
     * Unpacks an instance-store image's bundle into the instance's own storage
     * ({@code regions/R/instance-store/INSTANCE/}), verifying it with the owner's certificate and
     * decrypting with the cloud's EC2 key; returns the image file, relative to the region.
     */
    private String unpackBundle(String region, MachineImage image, String instanceId) {
        Path bundleDir = regionDir(region).resolve("bundles").resolve(image.imageId());
        Path manifest = bundleDir.resolve(Path.of(image.imageLocation()).getFileName());
        X509Certificate owner = PemKeys.readCertificate(bundleDir.resolve(OWNER_CERTIFICATE));
        Path target = instanceStoreDir(region, instanceId);
        Unbundler.Result result = Unbundler.withPrivateKey(ec2Credentials().privateKey()).withSigner(owner).asEc2()
                .unbundle(manifest, bundleDir, target);
        return regionDir(region).relativize(result.imageFile()).toString();
    }

    private Path instanceStoreDir(String region, String instanceId) {
        return regionDir(region).resolve("instance-store").resolve(instanceId);
    }

    private void deleteInstanceStore(String region, String instanceId) {
        deleteTree(instanceStoreDir(region, instanceId));
    }

    /** Deletes {@code dir} and everything in it, if it exists. */
    private static void deleteTree(Path dir) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new AmiforgeException(Kind.FAILED, "IOError", dir + ": cannot delete: " + e.getMessage(), e);
        }
    }

    /** Opens the device behind an attached volume: a store volume (EBS) or a file in instance storage. */
    public BlockDevice openAttached(String region, Instance.AttachedVolume volume) {
        if (volume.deleted()) {
            throw new AmiforgeException(Kind.NOT_FOUND, "InvalidVolume.NotFound", volume.volumeName() + " was deleted");
        }
        return volume.ephemeral()
                ? FileBlockDevice.open(regionDir(region).resolve(volume.volumeName()), false)
                : store(region).openVolume(volume.volumeName());
    }

    private static long roundUp(long value, long unit) {
        return Math.ceilDiv(Math.max(value, 1), unit) * unit;
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

    /** Stops an EBS-backed instance: its volumes stay; instance-store instances cannot stop. */
    public Instance stopInstance(String caller, String region, String instanceId) {
        Instance instance = findInstance(load(region), instanceId, caller, region);
        instance.state().check(InstanceState.Operation.STOP, instanceId, instance.rootDeviceType());
        if (instance.state() == InstanceState.STOPPED) {
            return instance;
        }
        return update(region, instanceId, caller, i -> i.with(InstanceState.STOPPED, "User initiated (" + now() + ")"));
    }

    /** Starts a stopped EBS-backed instance and boots it again from its (kept) root volume. */
    public Instance startInstance(String caller, String region, String instanceId) {
        Instance instance = findInstance(load(region), instanceId, caller, region);
        instance.state().check(InstanceState.Operation.START, instanceId, instance.rootDeviceType());
        if (instance.state() == InstanceState.RUNNING) {
            return instance;
        }
        Instance pending = update(region, instanceId, caller, i -> i.with(InstanceState.PENDING, null));
        return boot(region, pending, imageOf(region, pending), InstanceType.named(pending.instanceType()), "started");
    }

    /** Reboots a running instance: every volume, instance store included, keeps its data. */
    public Instance rebootInstance(String caller, String region, String instanceId) {
        Instance instance = findInstance(load(region), instanceId, caller, region);
        instance.state().check(InstanceState.Operation.REBOOT, instanceId, instance.rootDeviceType());
        return boot(region, instance, imageOf(region, instance), InstanceType.named(instance.instanceType()), "rebooted");
    }

    /**
     * Terminates an instance: instance-store volumes are gone, EBS volumes are deleted when
     * their DeleteOnTermination is set. The instance stays visible as {@code terminated}.
     */
    public Instance terminateInstance(String caller, String region, String instanceId) {
        Instance instance = findInstance(load(region), instanceId, caller, region);
        if (instance.state() == InstanceState.TERMINATED) {
            return instance;
        }
        update(region, instanceId, caller, i -> i.with(InstanceState.SHUTTING_DOWN, "User initiated (" + now() + ")"));
        TenantStore store = store(region, caller);
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
        deleteInstanceStore(region, instanceId);
        return update(region, instanceId, caller,
                i -> i.withVolumes(after).with(InstanceState.TERMINATED, "User initiated (" + now() + ")"));
    }

    /** The caller's instances in the region, or just {@code instanceId}. */
    public List<Instance> describeInstances(String caller, String region, String instanceId) {
        RegionState state = load(region);
        if (instanceId != null) {
            return List.of(findInstance(state, instanceId, caller, region));
        }
        return state.instances().stream().filter(i -> i.ownerId().equals(caller)).toList();
    }

    /** The console text of the instance's last boot. */
    public String console(String caller, String region, String instanceId) {
        Instance instance = findInstance(load(region), instanceId, caller, region);
        return instance.lastBoot() == null ? "" : instance.lastBoot().console();
    }

    /**
     * Creates an EBS-backed image from an instance: snapshots every EBS volume and registers
     * them. Without {@code noReboot} a running instance is stopped for the snapshot and started
     * again (so the snapshot is of a quiesced disk); with it, the snapshot is taken while it
     * runs (crash-consistent).
     */
    public MachineImage createImage(String caller, String region, String instanceId, String name, String description,
                                    boolean noReboot) {
        Instance instance = findInstance(load(region), instanceId, caller, region);
        instance.state().check(InstanceState.Operation.CREATE_IMAGE, instanceId, instance.rootDeviceType());
        boolean restart = instance.state() == InstanceState.RUNNING && !noReboot;
        if (restart) {
            stopInstance(caller, region, instanceId);
        }
        MachineImage source = imageOf(region, instance);
        TenantStore store = store(region, caller);
        List<BlockDeviceMapping> mappings = new ArrayList<>();
        for (Instance.AttachedVolume volume : instance.blockDeviceMappings()) {
            if (volume.ephemeral() || volume.deleted()) {
                continue;
            }
            SnapshotInfo snapshot = store.createSnapshot(volume.volumeName(),
                    "Created by CreateImage(" + instanceId + ") for " + name);
            long sizeGiB = Math.max(1, (snapshot.size() + (1L << 30) - 1) >> 30);
            mappings.add(BlockDeviceMapping.ebs(volume.deviceName(), snapshot.id(), sizeGiB, volume.deleteOnTermination()));
        }
        MachineImage image = newImage(caller, region, name, description, instance.virtualizationType(),
                instance.architecture(), RootDeviceType.EBS, instance.rootDeviceName(), mappings, source.kernelId(),
                source.ramdiskId(), null);
        mutate(region, state -> {
            checkNameFree(state, caller, name);
            return state.images().add(image);
        });
        if (restart) {
            startInstance(caller, region, instanceId);
        }
        return image;
    }

    private MachineImage imageOf(String region, Instance instance) {
        return load(region).images().stream().filter(i -> i.imageId().equals(instance.imageId())).findFirst()
                .orElseGet(() -> new MachineImage(instance.imageId(), "(deregistered)", null, instance.ownerId(), null, null,
                        ImageState.DEREGISTERED, instance.architecture(), instance.virtualizationType(),
                        instance.rootDeviceType(), instance.rootDeviceName(), List.of(), null, null, null, List.of(),
                        null, null, null, LaunchPermissions.NONE));
    }

    private static String now() {
        String epoch = System.getenv("SOURCE_DATE_EPOCH");
        Instant instant = epoch != null && epoch.matches("\\d+") ? Instant.ofEpochSecond(Long.parseLong(epoch)) : Instant.now();
        return instant.truncatedTo(ChronoUnit.MILLIS).toString();
    }

    @Override
    public synchronized void close() {
        RuntimeException failure = null;
        for (SnapshotStore store : stores.values()) {
            try {
                store.close();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        stores.clear();
        if (failure != null) {
            throw failure;
        }
    }
}
