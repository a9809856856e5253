package io.amiforge.store;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.store.spi.FileOps;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.roaringbitmap.longlong.Roaring64Bitmap;

/**
 * A persistent store of volumes and snapshots in one directory, like EBS: volumes are
 * writable block devices over chains of immutable, incremental snapshots.
 *
 * <h2>On disk</h2>
 * {@code FORMAT} (format version), {@code catalog} (every volume and snapshot record) with its
 * log of changes (see {@link CatalogLog}), {@code catalog.lock}, {@code catalog.seq}, {@code locks/<volume>.lock},
 * {@code layers/<id>.dat|.idx} (block data with a CRC32C per block; see {@link Layer}).
 *
 * <h2>Semantics</h2>
 * <ul>
 *   <li>A snapshot holds the blocks written since its parent; taking one is O(1) (the volume's
 *       current layer is frozen, or, copy-on-write, a new generation starts).</li>
 *   <li>Clone is lazy: the new volume reads through the snapshot's chain.</li>
 *   <li>Deleting a snapshot keeps what later snapshots and volumes need (merged into them) and
 *       deletes its files; space really shrinks.</li>
 *   <li>Every mutation runs on the store's journal thread in order (see {@link Journal}). Every
 *       metadata change is atomic and survives the process dying when the call returns, and is
 *       durable (fsynced) when it returns too, except {@link #createSnapshot}, which is made
 *       durable by the next group commit (a volume flush, another metadata change or
 *       {@link #close} fsyncs the catalog log) so that it stays O(1). A metadata change costs
 *       O(records it changes), not O(catalog). A volume write is durable after {@code flush()}.</li>
 * </ul>
 *
 * <h2>Processes</h2>
 * Several processes may open one store. A volume is written by one process at a time: it holds
 * the volume's lock while a {@link Volume} handle is open or an operation changes the volume; a
 * second process gets {@code StoreLocked} naming the volume and the holder's pid. Every catalog
 * change holds the catalog lock only around re-reading and committing the catalog, so commits of
 * all processes are kept and a reader never sees half of one (see docs/snapshot-store.md).
 *
 * <h2>Ownership</h2>
 * Every volume and snapshot has an owner account. The methods of this class are the trusted,
 * in-process API: they see everything, and what they create is owned by
 * {@link AccountId#DEFAULT}. Whatever a tenant asks goes through {@link #as}, which checks
 * ownership in the same catalog step as the operation (see {@link TenantStore}).
 *
 * <p>This class is the facade; the work is done by {@link VolumeWriter} (volumes, snapshots,
 * volume locks), {@link ChainResolver} (what each volume and snapshot reads through),
 * {@link Maintenance} (delete snapshot, flatten, rollback, diff, verify) and {@link CatalogLog}
 * (the catalog on disk and its lock). Thread-safe.
 */
public final class SnapshotStore implements AutoCloseable {

    static final String FORMAT_NAME = "amiforge-snapshot-store";
    /** 2: a chained catalog log with deletions (format-3 catalog); a version-1 store is upgraded on open. */
    static final int FORMAT_VERSION = 2;
    /**
     * The format of a store holding packed layers ({@link #pack}): written before the first pack
     * commits, so that an amiforge that does not know packs (and would recycle a packed layer's
     * gaps, which are other layers' slots) refuses the store instead. This version reads both.
     */
    static final int PACKED_FORMAT_VERSION = 3;
    /** Whether {@code FORMAT} is known to say {@link #PACKED_FORMAT_VERSION} (journal thread). */
    private boolean formatPacked;

    private final Path dir;
    final Catalog catalog = new Catalog();
    final Journal journal;
    final ChainResolver chains;
    final VolumeWriter volumes;
    final CatalogLog log;
    private final Maintenance maintenance;
    private final LayerPacker packer;
    final AutoPacker autoPacker;
    private final ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
    private volatile boolean closed;
    private volatile boolean closing;

    /** The file-operation hook (the real file system unless a test injects faults). */
    final FileOps fileOps;

    private SnapshotStore(Path dir, FileOps fileOps, AutoPack autoPack) {
        this.dir = dir;
        this.fileOps = fileOps;
        this.journal = new Journal(dir.getFileName() == null ? dir.toString() : dir.getFileName().toString());
        this.chains = new ChainResolver(this, dir.resolve("layers"));
        this.volumes = new VolumeWriter(this);
        this.log = new CatalogLog(fileOps, dir, catalog, volumes::held, chains::retire);
        this.maintenance = new Maintenance(this);
        this.packer = new LayerPacker(this);
        this.autoPacker = new AutoPacker(this, packer, autoPack);
        this.journal.afterForce = () -> {
            log.syncIfUnsynced();
            chains.closeFrozenFiles(); // a group commit already waits for the disk: frozen layers give back their files
        };
    }

    /**
     * Opens the store in {@code dir}, creating it if absent, with automatic packing on
     * ({@link AutoPack#DEFAULT}). Other processes may have it open too.
     */
    public static SnapshotStore open(Path dir) {
        return open(dir, FileOps.REAL, AutoPack.DEFAULT);
    }

    /** Opens the store in {@code dir} with the automatic packing {@code autoPack} ({@link AutoPack#OFF}: none). */
    public static SnapshotStore open(Path dir, AutoPack autoPack) {
        return open(dir, FileOps.REAL, autoPack);
    }

    /**
     * Opens the store in {@code dir} with every file create, write, fsync and rename reported to
     * {@code fileOps} first (a test injects faults this way; {@link FileOps#REAL} is the default).
     */
    public static SnapshotStore open(Path dir, FileOps fileOps) {
        return open(dir, fileOps, AutoPack.DEFAULT);
    }

    /** As {@link #open(Path, FileOps)}, with the automatic packing {@code autoPack}. */
    public static SnapshotStore open(Path dir, FileOps fileOps, AutoPack autoPack) {
        java.util.Objects.requireNonNull(fileOps, "fileOps");
        java.util.Objects.requireNonNull(autoPack, "autoPack");
        try {
            Files.createDirectories(dir.resolve("layers"));
        } catch (IOException e) {
            throw new BlockDeviceException.Io(dir.toString(), "open store", e);
        }
        SnapshotStore store = new SnapshotStore(dir, fileOps, autoPack);
        try {
            store.journal.call(() -> store.log.locked(() -> {
                checkFormat(dir);
                store.catalog.validate(dir);
                store.log.createIfAbsent();
                boolean owners = store.catalog.assignDefaultOwner();
                if (owners || !store.catalog.chainedLog) {
                    // the upgrade of an older catalog (owners, chained log): a new base, once, durably
                    store.log.compact(store.journal);
                }
                return null;
            }));
            return store;
        } catch (RuntimeException e) {
            store.journal.close();
            try {
                store.log.closeLog();
                store.log.closeShared();
            } catch (IOException ignored) {
                // the store was not opened
            }
            throw e;
        }
    }

    private static void checkFormat(Path dir) throws IOException {
        Path format = dir.resolve("FORMAT");
        if (Files.exists(format)) {
            String text = Files.readString(format, StandardCharsets.UTF_8).trim();
            String[] parts = text.split("\\s+");
            if (parts.length != 2 || !parts[0].equals(FORMAT_NAME)) {
                throw new StoreException(AmiforgeException.Kind.INVALID_INPUT, "UnsupportedStoreVersion",
                        format + ": not an amiforge store format file (found '" + text + "', expected '"
                                + FORMAT_NAME + " " + FORMAT_VERSION + "')");
            }
            int version;
            try {
                version = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                version = -1;
            }
            if (version == 1) {
                // FORMAT first: from here an older amiforge refuses the store by its version; the
                // catalog (base and log) is rewritten in the new format right after (see open)
                writeFormat(dir, FORMAT_VERSION);
                return;
            }
            if (version != FORMAT_VERSION && version != PACKED_FORMAT_VERSION) {
                throw new StoreException(AmiforgeException.Kind.INVALID_INPUT, "UnsupportedStoreVersion",
                        "store " + dir + " has format version " + parts[1] + "; this amiforge reads versions "
                                + FORMAT_VERSION + " and " + PACKED_FORMAT_VERSION
                                + (version > PACKED_FORMAT_VERSION ? " (the store is newer: upgrade amiforge)" : ""));
            }
            return;
        }
        if (Files.exists(dir.resolve("catalog"))) {
            throw new StoreException(AmiforgeException.Kind.INVALID_INPUT, "UnsupportedStoreVersion",
                    "store " + dir + " has a catalog but no FORMAT file (expected '" + FORMAT_NAME + " " + FORMAT_VERSION + "')");
        }
        writeFormat(dir, FORMAT_VERSION);
    }

    /** Writes {@code FORMAT} ({@code version}) durably: temporary file, fsync, rename, fsync the directory. */
    private static void writeFormat(Path dir, int version) throws IOException {
        Path format = dir.resolve("FORMAT");
        Path tmp = dir.resolve("FORMAT.tmp");
        Files.writeString(tmp, FORMAT_NAME + " " + version + "\n", StandardCharsets.UTF_8);
        try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            c.force(true);
        }
        Files.move(tmp, format, StandardCopyOption.ATOMIC_MOVE);
        Catalog.fsyncDirectory(dir);
    }

    /**
     * The store as {@code account} sees it: only its own volumes and snapshots (and snapshots
     * shared with it), everything it creates owned by it. Everything a tenant asks for goes
     * through this view; the methods of this class itself are the trusted, in-process API.
     */
    public TenantStore as(AccountId account) {
        return new TenantStore(this, account);
    }

    // ---- ownership checks (journal thread, catalog locked; a null caller is the trusted API) --

    private Catalog.VolumeRecord ownVolume(AccountId caller, String name) {
        Catalog.VolumeRecord v = catalog.volume(name);
        if (caller != null && !caller.value().equals(v.owner)) {
            throw StoreException.volumeNotFound(name); // the same answer as for a missing volume
        }
        return v;
    }

    private Catalog.SnapshotRecord ownSnapshot(AccountId caller, String id) {
        Catalog.SnapshotRecord s = catalog.snapshot(id);
        if (caller != null && !caller.value().equals(s.owner)) {
            throw StoreException.snapshotNotFound(id);
        }
        return s;
    }

    /** The snapshot if {@code caller} owns it or has create-volume permission on it. */
    private Catalog.SnapshotRecord usableSnapshot(AccountId caller, String id) {
        Catalog.SnapshotRecord s = catalog.snapshot(id);
        if (caller != null && !caller.value().equals(s.owner) && !s.permissions.contains("all")
                && !s.permissions.contains(caller.value())) {
            throw StoreException.snapshotNotFound(id);
        }
        return s;
    }

    private static void checkNotAttached(Catalog.VolumeRecord v, String action) {
        if (v.attachedTo != null) {
            throw new StoreException(AmiforgeException.Kind.NOT_PERMITTED, "VolumeInUse",
                    "volume " + v.name + " (" + v.id + ") is attached to instance " + v.attachedTo + "; cannot " + action
                            + " it until the instance is terminated");
        }
    }

    /** The store directory. */
    public Path directory() {
        return dir;
    }

    void checkOpen() {
        if (closed) {
            throw new BlockDeviceException.Closed("store " + dir);
        }
    }

    Lock readLock() {
        return rw.readLock();
    }

    /** Runs {@code change} with every reader of this process kept out (the layers of stacks change). */
    void exclusive(Runnable change) {
        rw.writeLock().lock();
        try {
            change.run();
        } finally {
            rw.writeLock().unlock();
        }
    }

    /** fsyncs every written layer, then commits the catalog atomically (journal thread, catalog locked). */
    int commit() {
        return log.commit(journal);
    }

    /** Runs {@code op} on the journal thread holding the catalog lock; then gives back idle volume locks. */
    private <T> T run(Callable<T> op) {
        checkOpen();
        return journal.call(() -> {
            try {
                return log.locked(op);
            } finally {
                volumes.releaseIdle();
            }
        });
    }

    /**
     * Runs {@code op}, which only reads the catalog (it changes no record: no copy-on-write
     * snapshot is completed, nothing is committed), on the journal thread: without the catalog
     * lock when no process committed since this one last looked ({@link CatalogLog#read}).
     */
    private <T> T read(Callable<T> op) {
        checkOpen();
        return journal.call(() -> {
            try {
                return log.read(op);
            } finally {
                volumes.releaseIdle();
            }
        });
    }

    /** Runs {@code op} as a store call does (journal thread, catalog lock held): the automatic packer's steps. */
    <T> T background(Callable<T> op) {
        return run(op);
    }

    private void runVoid(Runnable op) {
        run(() -> {
            op.run();
            return null;
        });
    }

    /** A snapshot device was closed (any thread): layers replaced under it may be closed now. */
    void snapshotDeviceClosed(SnapshotDevice device) {
        if (!closing && !closed) {
            journal.call(() -> {
                chains.deviceClosed(device);
                return null;
            });
        }
    }

    /** A volume handle was closed (any thread). */
    void volumeClosed(VolumeState state) {
        if (!closing) {
            journal.call(() -> {
                volumes.closed(state);
                return null;
            });
        }
    }

    // ---- volumes -----------------------------------------------------------------------------

    /** Creates a volume and opens it for writing (the handle holds the volume's lock until closed). */
    public Volume createVolume(String name, long sizeBytes, VolumeOptions options) {
        return createVolume(AccountId.DEFAULT, name, sizeBytes, options);
    }

    Volume createVolume(AccountId owner, String name, long sizeBytes, VolumeOptions options) {
        VolumeWriter.checkName(name);
        VolumeOptions opts = options == null ? VolumeOptions.defaults() : options;
        VolumeWriter.checkSize(sizeBytes, opts);
        return run(() -> volumes.createVolume(name, sizeBytes, opts, owner));
    }

    /** Opens a volume for writing; fails with {@code StoreLocked} while another process has it open. */
    public Volume openVolume(String name) {
        return openVolume(null, name);
    }

    Volume openVolume(AccountId caller, String name) {
        return run(() -> {
            ownVolume(caller, name);
            return volumes.handle(volumes.state(name));
        });
    }

    public List<VolumeInfo> listVolumes() {
        return listVolumes(null);
    }

    List<VolumeInfo> listVolumes(AccountId caller) {
        return read(() -> catalog.volumes.values().stream()
                .filter(v -> caller == null || caller.value().equals(v.owner)).map(SnapshotStore::info).toList());
    }

    public VolumeInfo volume(String name) {
        return volume(null, name);
    }

    VolumeInfo volume(AccountId caller, String name) {
        return read(() -> info(ownVolume(caller, name)));
    }

    private static VolumeInfo info(Catalog.VolumeRecord v) {
        return new VolumeInfo(v.name, v.id, v.size, v.blockSize, v.write, v.read, v.parent, v.created, v.owner, v.attachedTo);
    }

    /** Deletes a volume; {@code VolumeInUse} while it is attached to an instance. */
    public void deleteVolume(String name) {
        deleteVolume(null, name);
    }

    void deleteVolume(AccountId caller, String name) {
        runVoid(() -> {
            checkNotAttached(ownVolume(caller, name), "delete");
            volumes.deleteVolume(name);
        });
    }

    /**
     * Records that the volume is attached to {@code instanceId} (null: detached). While attached
     * it cannot be deleted or rolled back ({@code VolumeInUse}).
     */
    void attach(AccountId caller, String name, String instanceId) {
        runVoid(() -> {
            ownVolume(caller, name);
            Catalog.VolumeRecord v = volumes.state(name).rec;
            v.attachedTo = instanceId; // the volume's lock is held, so its record is the newest
            catalog.touch(v);
            commit();
        });
    }

    /** A new volume reading through {@code snapshotId}'s chain; nothing is copied. Strategies as the snapshot's volume. */
    public Volume cloneVolume(String snapshotId, String newVolumeName) {
        return cloneVolume(snapshotId, newVolumeName, null);
    }

    /**
     * As {@link #cloneVolume(String, String)}, with the new volume's strategies from {@code options}
     * (its block size must be the snapshot's); null means those of the snapshot's volume.
     */
    public Volume cloneVolume(String snapshotId, String newVolumeName, VolumeOptions options) {
        return cloneVolume(null, null, snapshotId, newVolumeName, options);
    }

    /**
     * Clones for {@code owner} (the new volume is its) a snapshot {@code authority} may use (owns
     * or has permission on); a null authority is the trusted API, a null owner the snapshot's.
     */
    Volume cloneVolume(AccountId authority, AccountId owner, String snapshotId, String newVolumeName, VolumeOptions options) {
        VolumeWriter.checkName(newVolumeName);
        return run(() -> {
            Catalog.SnapshotRecord s = usableSnapshot(authority, snapshotId);
            AccountId newOwner = owner != null ? owner : s.owner == null ? AccountId.DEFAULT : AccountId.of(s.owner);
            return volumes.cloneVolume(snapshotId, newVolumeName, options, newOwner);
        });
    }

    // ---- snapshots ---------------------------------------------------------------------------

    public SnapshotInfo createSnapshot(String volumeName, String description) {
        return createSnapshot(null, volumeName, description);
    }

    /** The snapshot is owned by the volume's owner (in the same log batch as the snapshot itself). */
    SnapshotInfo createSnapshot(AccountId caller, String volumeName, String description) {
        return createSnapshot(caller, volumeName, description, null);
    }

    SnapshotInfo createSnapshot(AccountId caller, String volumeName, String description, String reservedId) {
        return run(() -> {
            ownVolume(caller, volumeName);
            return volumes.createSnapshot(volumeName, description, reservedId);
        });
    }

    /** A fresh id of the form snapshots get ({@code snap-} and 17 hex digits), for a snapshot announced before it is taken. */
    public static String newSnapshotId() {
        return Catalog.newId("snap-");
    }

    public List<SnapshotInfo> listSnapshots() {
        return listSnapshots(null);
    }

    /** The snapshots {@code caller} owns or may create volumes from. */
    List<SnapshotInfo> listSnapshots(AccountId caller) {
        return read(() -> catalog.snapshots.values().stream()
                .filter(s -> caller == null || caller.value().equals(s.owner) || s.permissions.contains("all")
                        || s.permissions.contains(caller.value()))
                .map(this::info).toList());
    }

    public SnapshotInfo snapshot(String id) {
        return snapshot(null, id);
    }

    SnapshotInfo snapshot(AccountId caller, String id) {
        return read(() -> info(usableSnapshot(caller, id)));
    }

    SnapshotInfo info(Catalog.SnapshotRecord s) {
        long count = chains.layerOf(s).blockCount();
        if (!s.materialized) {
            count = chains.pending(s).getLongCardinality() + count;
        }
        return new SnapshotInfo(s.id, s.volume, s.parent, s.size, s.blockSize, s.description, s.created, count,
                Collections.unmodifiableMap(new LinkedHashMap<>(s.attributes)), s.owner, List.copyOf(s.permissions));
    }

    /**
     * Adds and removes create-volume permissions of a snapshot (12-digit accounts or
     * {@code all}); only its owner may. Returns the snapshot as it is afterwards.
     */
    SnapshotInfo modifyPermission(AccountId caller, String id, List<String> add, List<String> remove) {
        for (String who : add) {
            checkGrantee(who);
        }
        for (String who : remove) {
            checkGrantee(who);
        }
        return run(() -> {
            Catalog.SnapshotRecord s = ownSnapshot(caller, id);
            if (!add.isEmpty() || !remove.isEmpty()) {
                s.permissions.addAll(add);
                s.permissions.removeAll(remove);
                s.permissions.remove(s.owner);
                catalog.touch(s);
                commit();
            }
            return info(s);
        });
    }

    private static void checkGrantee(String who) {
        if (!"all".equals(who) && !AccountId.isValid(who)) {
            throw StoreException.invalid("create-volume permission '" + who + "' is neither a 12-digit account id nor 'all'");
        }
    }

    public void setSnapshotAttribute(String id, String key, String value) {
        setSnapshotAttribute(null, id, key, value);
    }

    void setSnapshotAttribute(AccountId caller, String id, String key, String value) {
        if (key == null || key.isEmpty()) {
            throw StoreException.invalid("attribute key must not be empty");
        }
        runVoid(() -> {
            Catalog.SnapshotRecord s = ownSnapshot(caller, id);
            if (value == null) {
                s.attributes.remove(key);
            } else {
                s.attributes.put(key, value);
            }
            catalog.touch(s);
            commit();
        });
    }

    /** A read-only device of the snapshot's full contents. */
    public BlockDevice openSnapshot(String id) {
        return openSnapshot(null, id);
    }

    BlockDevice openSnapshot(AccountId caller, String id) {
        return run(() -> {
            Catalog.SnapshotRecord s = ownSnapshot(caller, id);
            Stack stack = chains.snapshotStack(id);
            SnapshotDevice device = new SnapshotDevice(this, id, s.size, s.blockSize, stack);
            chains.deviceOpened(device);
            return device;
        });
    }

    /**
     * Creates a snapshot directly from {@code blocksPresent} blocks of {@code layerContents}
     * (importing qcow2 chains, copying between stores); its parent must be in this store.
     */
    public SnapshotInfo importSnapshot(SnapshotInfo parentInThisStore, BlockDevice layerContents,
            Roaring64Bitmap blocksPresent, String description) {
        return importSnapshot(null, parentInThisStore, layerContents, blocksPresent, description);
    }

    /** As the public method; the new snapshot is {@code caller}'s and so must its parent be (null: trusted, the parent's owner). */
    SnapshotInfo importSnapshot(AccountId caller, SnapshotInfo parentInThisStore, BlockDevice layerContents,
            Roaring64Bitmap blocksPresent, String description) {
        return run(() -> volumes.importSnapshot(parentInThisStore, layerContents, blocksPresent, description,
                importOwner(caller, parentInThisStore)));
    }

    /**
     * Creates a snapshot from the {@code runs} of {@code layerContents} (image import): data
     * runs are read in large batches straight into the new layer, every byte written once, then
     * committed with one durable catalog commit; cost is proportional to the blocks in the runs,
     * not to the device's size. Data blocks that read as all zeros store nothing: on a base
     * layer (no parent) they and the zero runs are left out, over a parent they become explicit
     * zeros that shadow it. Its parent must be in this store; a failure leaves nothing behind.
     */
    public SnapshotInfo importSnapshot(SnapshotInfo parentInThisStore, BlockDevice layerContents, BlockRuns runs,
            String description) {
        return importSnapshot(null, parentInThisStore, layerContents, runs, description);
    }

    /** As the public method; the new snapshot is {@code caller}'s and so must its parent be (null: trusted, the parent's owner). */
    SnapshotInfo importSnapshot(AccountId caller, SnapshotInfo parentInThisStore, BlockDevice layerContents,
            BlockRuns runs, String description) {
        return run(() -> volumes.importSnapshot(parentInThisStore, layerContents, runs, description,
                importOwner(caller, parentInThisStore)));
    }

    private AccountId importOwner(AccountId caller, SnapshotInfo parentInThisStore) {
        if (caller != null) {
            return caller;
        }
        Catalog.SnapshotRecord parent = parentInThisStore == null ? null : catalog.snapshots.get(parentInThisStore.id());
        return parent == null || parent.owner == null ? AccountId.DEFAULT : AccountId.of(parent.owner);
    }

    // ---- maintenance -------------------------------------------------------------------------

    /** Makes the volume's contents those of {@code snapshotId} (its current data is discarded). */
    public void rollback(String volumeName, String snapshotId) {
        rollback(null, volumeName, snapshotId);
    }

    void rollback(AccountId caller, String volumeName, String snapshotId) {
        runVoid(() -> {
            checkNotAttached(ownVolume(caller, volumeName), "roll back");
            ownSnapshot(caller, snapshotId);
            maintenance.rollback(volumeName, snapshotId);
        });
    }

    /**
     * Deletes a snapshot with EBS semantics: blocks that snapshots or volumes built on it still
     * need are merged into them; the rest is released with the snapshot's files.
     */
    public void deleteSnapshot(String id) {
        deleteSnapshot(null, id);
    }

    void deleteSnapshot(AccountId caller, String id) {
        run(() -> autoPacker.excluding(() -> {
            ownSnapshot(caller, id);
            maintenance.deleteSnapshot(id); // merges into its children's layers: no pack may read them meanwhile
            return null;
        }));
    }

    /**
     * Packs the small layers of snapshot {@code snapshotId}'s chain (each holding at most
     * {@value LayerPacker#SMALL_BYTES} bytes) into one pack file laid out in block order for that
     * snapshot's view, so that reading through a deep chain reads one file, mostly in order.
     * Contents do not change; every snapshot stays readable. Crash-safe (copy-on-pack, one
     * catalog commit). Fails with {@code StoreLocked} when another process has a volume on the
     * chain open. Returns what was packed (nothing when fewer than two small layers are unpacked).
     */
    public PackReport pack(String snapshotId) {
        return run(() -> autoPacker.excluding(() -> packer.pack(snapshotId)));
    }

    /**
     * Waits until every automatic pack handed to the background so far has been committed,
     * given up (its chain changed) or has failed: afterwards reads see the packed layout.
     * Returns at once when auto-pack is off or nothing is pending. For tests and benchmarks.
     */
    public void awaitMaintenance() {
        checkOpen();
        autoPacker.await();
    }

    /**
     * What automatic packing did since the store opened: packs committed, snapshot layers they
     * replaced, bytes they copied, and the time their choices and commits held the journal thread
     * (the time other store calls may have waited for them).
     */
    public PackStats autoPackStats() {
        return autoPacker.stats();
    }

    /** The automatic packing policy this store was opened with. */
    public AutoPack autoPack() {
        return autoPacker.policy();
    }

    /**
     * The automatic packs that failed since the store was opened (the last 16, oldest first),
     * each naming its snapshot and the cause; empty when none did. A failed pack changed nothing.
     */
    public List<String> maintenanceFailures() {
        return autoPacker.failures();
    }

    /** Marks the store as holding packed layers ({@link #PACKED_FORMAT_VERSION}) unless it says so already (catalog lock held). */
    void markPacked() {
        if (formatPacked) {
            return; // FORMAT never goes back from 3: read once, not at every automatic pack's commit
        }
        try {
            String text = Files.readString(dir.resolve("FORMAT"), StandardCharsets.UTF_8).trim();
            if (!text.equals(FORMAT_NAME + " " + PACKED_FORMAT_VERSION)) {
                writeFormat(dir, PACKED_FORMAT_VERSION);
            }
            formatPacked = true;
        } catch (IOException e) {
            throw new BlockDeviceException.Io("store " + dir, "write of FORMAT", e);
        }
    }

    /** Collapses the volume's chain into its own layer: afterwards its reads touch one layer. */
    public void flatten(String volumeName) {
        flatten(null, volumeName);
    }

    void flatten(AccountId caller, String volumeName) {
        runVoid(() -> {
            ownVolume(caller, volumeName);
            maintenance.flatten(volumeName);
        });
    }

    /** Blocks that differ between two snapshots of one lineage (either may be the older one). */
    public ChangedBlocks diff(String fromSnapshotId, String toSnapshotId) {
        return diff(null, fromSnapshotId, toSnapshotId);
    }

    ChangedBlocks diff(AccountId caller, String fromSnapshotId, String toSnapshotId) {
        return run(() -> {
            ownSnapshot(caller, fromSnapshotId);
            ownSnapshot(caller, toSnapshotId);
            return maintenance.diff(fromSnapshotId, toSnapshotId);
        });
    }

    /** The blocks stored in that one snapshot's layer (written since its parent). */
    public ChangedBlocks blocks(String snapshotId) {
        return blocks(null, snapshotId);
    }

    ChangedBlocks blocks(AccountId caller, String snapshotId) {
        return run(() -> {
            ownSnapshot(caller, snapshotId);
            return maintenance.blocks(snapshotId);
        });
    }

    /** Reads every stored block and checks its CRC32C; reports each damaged snapshot/volume block. */
    public VerifyReport verify() {
        return run(maintenance::verify);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closing = true;
        Throwable failure = null;
        try {
            autoPacker.close(); // a pack being written is given up: its files are deleted, nothing changes
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        try {
            journal.call(() -> {
                journal.forceAll();
                log.closing(journal);
                return null;
            });
        } catch (RuntimeException | Error e) {
            failure = e; // still release files and locks: what was committed stays, nothing half is added
        }
        if (failure == null) {
            try {
                autoPacker.deleteReplaced(); // the catalog is durable now: the old files of automatic packs go
            } catch (RuntimeException | Error e) {
                failure = e;
            }
        }
        try {
            journal.close();
        } catch (RuntimeException | Error e) {
            failure = first(failure, e);
        }
        try {
            exclusive(() -> {
                closed = true;
                chains.closeAll();
                volumes.closeAll();
            });
        } catch (RuntimeException | Error e) {
            failure = first(failure, e);
        }
        try {
            log.closeLog();
            log.closeShared();
        } catch (IOException ignored) {
            // everything in it was saved in the catalog above; the lock file holds no data
        }
        switch (failure) {
            case null -> { }
            case RuntimeException r -> throw r;
            case Error e -> throw e;
            default -> throw new IllegalStateException(failure);
        }
    }

    private static Throwable first(Throwable failure, Throwable next) {
        if (failure == null) {
            return next;
        }
        if (failure != next && next.getCause() != failure) {
            failure.addSuppressed(next);
        }
        return failure;
    }
}
