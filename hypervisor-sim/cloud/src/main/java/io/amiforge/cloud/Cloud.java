package io.amiforge.cloud;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.store.AccountId;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.TenantStore;
import io.amiforge.store.spi.FileOps;
import io.amiforge.x86.bios.Screen;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The simulated cloud over one store directory: per region, a snapshot store and a registry of
 * images and instances. Every method acts as an account ({@code caller}) in a region and
 * enforces EC2's rules: ownership and launch permissions, instance-type compatibility, root
 * device limits, and the lifecycle of each root-device type. A method that returns has made
 * its change durable.
 *
 * <p>This class is the facade; the work is done by one collaborator per concept: the
 * registry's persistence ({@link RegionRegistry}), images ({@link ImageRegistry}), launch
 * permissions and snapshot authority ({@link ImagePermissions}), CopyImage ({@link ImageCopy}),
 * the instance lifecycle ({@link InstanceLifecycle}), the ending of interrupted launches
 * ({@link InstanceRecovery}), CreateImage ({@link ImageCapture}) and CopySnapshot
 * ({@link SnapshotCopy}).
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
    private final FileOps fileOps;
    private final Map<String, SnapshotStore> stores = new HashMap<>();
    private final RegionRegistry registry;
    private final ImageRegistry images;
    private final ImagePermissions permissions;
    private final ImageCopy copies;
    private final InstanceLifecycle instances;
    private final ImageCapture captures;
    private final SnapshotCopy snapshotCopies;

    private Cloud(Path root, Booter booter, FileOps fileOps) {
        this.root = root;
        this.fileOps = fileOps;
        this.registry = new RegionRegistry(root, fileOps);
        this.images = new ImageRegistry(this, registry);
        this.permissions = new ImagePermissions(this, registry);
        this.copies = new ImageCopy(this, registry, images, permissions);
        InstanceRecovery recovery = new InstanceRecovery(this, registry);
        registry.onFirstUse(recovery::recover);
        this.instances = new InstanceLifecycle(this, registry, images, permissions, recovery, booter);
        this.captures = new ImageCapture(this, images, instances);
        this.snapshotCopies = new SnapshotCopy(this);
    }

    /**
     * Opens (creating if needed) the cloud state under {@code root}; other processes may have it
     * open too. The first use of each region ends the launches and starts there whose process
     * died before they finished ({@code pending} instances become {@code terminated}, their
     * volumes released, or {@code stopped} again after a start).
     */
    public static Cloud open(Path root, Booter booter) {
        return open(root, booter, FileOps.REAL);
    }

    /**
     * As {@link #open(Path, Booter)}, reporting every file operation that changes the cloud's
     * state (its snapshot stores and registries) to {@code fileOps} first; tests use it to inject
     * faults ({@code io.amiforge.testkit.FaultInjection}).
     */
    public static Cloud open(Path root, Booter booter, FileOps fileOps) {
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new AmiforgeException(Kind.FAILED, "IOError", root + ": cannot open store: " + e.getMessage(), e);
        }
        return new Cloud(root, booter, fileOps);
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
        return registry.regionDir(region);
    }

    /** The snapshot store of {@code region}, opened on first use and kept open until {@link #close()}. */
    public synchronized SnapshotStore store(String region) {
        return stores.computeIfAbsent(Region.named(region).name(), r -> SnapshotStore.open(storeDir(root, r), fileOps));
    }

    /**
     * The region's snapshot store as {@code account} sees it: everything a tenant asks of the
     * store goes through this view, so another account's volumes and snapshots do not exist for it.
     */
    public TenantStore store(String region, String account) {
        return store(region).as(AccountId.of(account));
    }

    /** Where the snapshot store of {@code region} lives under a store root: {@code ROOT/regions/REGION/store}. */
    public static Path storeDir(Path root, String region) {
        return root.resolve("regions").resolve(Region.named(region).name()).resolve("store");
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
        return images.register(caller, region, request);
    }

    /**
     * Registers an instance-store-backed image from a bundle: the manifest's signature is
     * checked against the owner's certificate (as EC2 knows each account's X.509 certificate),
     * then the manifest, its parts and the certificate are copied into the region (as S3 would
     * hold them) and the image's ImageLocation names them.
     */
    public MachineImage registerBundle(String caller, String region, Path manifest, Path ownerCertificate, String name,
                                       VirtualizationType virtualization, Architecture architecture, String kernelId) {
        return images.registerBundle(caller, region, manifest, ownerCertificate, name, virtualization, architecture, kernelId);
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
        return images.describe(caller, region, filter);
    }

    /** Adds and removes launch permissions (account ids or {@code all}); only the owner may. */
    public MachineImage modifyLaunchPermission(String caller, String region, String imageId, List<String> add, List<String> remove) {
        return permissions.modify(caller, region, imageId, add, remove);
    }

    /** Makes the image private again: only the owner may launch it. */
    public MachineImage resetLaunchPermission(String caller, String region, String imageId) {
        return permissions.reset(caller, region, imageId);
    }

    /** Deregisters an image; its snapshots stay, as in EC2. Only the owner may. */
    public void deregisterImage(String caller, String region, String imageId) {
        images.deregister(caller, region, imageId);
    }

    /** Deletes a snapshot unless a registered image still uses it ({@code InvalidSnapshot.InUse}). */
    public void deleteSnapshot(String caller, String region, String snapshotId) {
        images.deleteSnapshot(caller, region, snapshotId);
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
        return copies.copy(caller, sourceRegion, imageId, destRegion, name);
    }

    /**
     * EC2 CopySnapshot: copies a snapshot {@code caller} owns or may create volumes from into a
     * new, independent snapshot of its own in {@code destRegion} (which may be the source region).
     * {@code description} null gives EC2's "[Copied snap-... from REGION]".
     */
    public SnapshotInfo copySnapshot(String caller, String sourceRegion, String snapshotId, String destRegion,
                                     String description) {
        return snapshotCopies.copy(caller, sourceRegion, snapshotId, destRegion, description);
    }

    // ---------------------------------------------------------------- instances

    /**
     * Launches one instance of {@code imageId}: checks launch permission and instance-type
     * compatibility, makes the root device (a lazy clone of the root snapshot for EBS images;
     * the bundle unpacked into instance storage for instance-store images), and boots it.
     */
    public Instance runInstance(String caller, String region, String imageId, String typeName, String zone) {
        return instances.run(caller, region, imageId, typeName, zone);
    }

    /** Opens the device behind an attached volume: a store volume (EBS) or a file in instance storage. */
    public BlockDevice openAttached(String region, Instance.AttachedVolume volume) {
        return instances.openAttached(region, volume);
    }

    /** Stops an EBS-backed instance: its volumes stay; instance-store instances cannot stop. */
    public Instance stopInstance(String caller, String region, String instanceId) {
        return instances.stop(caller, region, instanceId);
    }

    /** Starts a stopped EBS-backed instance and boots it again from its (kept) root volume. */
    public Instance startInstance(String caller, String region, String instanceId) {
        return instances.start(caller, region, instanceId);
    }

    /** Reboots a running instance: every volume, instance store included, keeps its data. */
    public Instance rebootInstance(String caller, String region, String instanceId) {
        return instances.reboot(caller, region, instanceId);
    }

    /**
     * Terminates an instance: instance-store volumes are gone, EBS volumes are deleted when
     * their DeleteOnTermination is set. The instance stays visible as {@code terminated}.
     */
    public Instance terminateInstance(String caller, String region, String instanceId) {
        return instances.terminate(caller, region, instanceId);
    }

    /** The caller's instances in the region, or just {@code instanceId}. */
    public List<Instance> describeInstances(String caller, String region, String instanceId) {
        return instances.describe(caller, region, instanceId);
    }

    /** The console text of the instance's last boot. */
    public String console(String caller, String region, String instanceId) {
        return instances.console(caller, region, instanceId);
    }

    /**
     * The VGA text screen at the end of the instance's last boot, as EC2's GetConsoleScreenshot
     * shows it (render it with {@link io.amiforge.boot.hvm.ScreenImage#encode}); empty for a PV
     * instance (no screen) or one that has not booted.
     */
    public Optional<Screen> consoleScreen(String caller, String region, String instanceId) {
        return instances.screen(caller, region, instanceId);
    }

    /**
     * Creates an EBS-backed image from an instance: snapshots every EBS volume and registers
     * them. Without {@code noReboot} a running instance is stopped for the snapshot and started
     * again (so the snapshot is of a quiesced disk); with it, the snapshot is taken while it
     * runs (crash-consistent).
     */
    public MachineImage createImage(String caller, String region, String instanceId, String name, String description,
                                    boolean noReboot) {
        return captures.create(caller, region, instanceId, name, description, noReboot);
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
