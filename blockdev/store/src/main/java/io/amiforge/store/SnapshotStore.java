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
 * {@code FORMAT} (format version), {@code catalog} (every volume and snapshot record, committed
 * atomically) with its log, {@code catalog.lock}, {@code locks/<volume>.lock},
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
 *       durable by the next group commit (a volume flush fsyncs the catalog log; another metadata
 *       change or {@link #close} saves the whole catalog) so that it stays O(1). A volume write is durable after {@code flush()}.</li>
 * </ul>
 *
 * <h2>Processes</h2>
 * Several processes may open one store. A volume is written by one process at a time: it holds
 * the volume's lock while a {@link Volume} handle is open or an operation changes the volume; a
 * second process gets {@code StoreLocked} naming the volume and the holder's pid. Every catalog
 * change holds the catalog lock only around re-reading and committing the catalog, so commits of
 * all processes are kept and a reader never sees half of one (see docs/snapshot-store.md).
 *
 * <p>This class is the facade; the work is done by {@link VolumeWriter} (volumes, snapshots,
 * volume locks), {@link ChainResolver} (what each volume and snapshot reads through),
 * {@link Maintenance} (delete snapshot, flatten, rollback, diff, verify) and {@link CatalogLog}
 * (the catalog on disk and its lock). Thread-safe.
 */
public final class SnapshotStore implements AutoCloseable {

    static final String FORMAT_NAME = "amiforge-snapshot-store";
    static final int FORMAT_VERSION = 1;

    private final Path dir;
    final Catalog catalog = new Catalog();
    final Journal journal;
    final ChainResolver chains;
    final VolumeWriter volumes;
    final CatalogLog log;
    private final Maintenance maintenance;
    private final ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
    private volatile boolean closed;
    private volatile boolean closing;

    /** The file-operation hook (the real file system unless a test injects faults). */
    final FileOps fileOps;

    private SnapshotStore(Path dir, FileOps fileOps) {
        this.dir = dir;
        this.fileOps = fileOps;
        this.journal = new Journal(dir.getFileName() == null ? dir.toString() : dir.getFileName().toString());
        this.chains = new ChainResolver(this, dir.resolve("layers"));
        this.volumes = new VolumeWriter(this);
        this.log = new CatalogLog(fileOps, dir, catalog, volumes::held, chains::retire);
        this.maintenance = new Maintenance(this);
        this.journal.afterForce = log::syncIfUnsynced;
    }

    /** Opens the store in {@code dir}, creating it if absent. Other processes may have it open too. */
    public static SnapshotStore open(Path dir) {
        return open(dir, FileOps.REAL);
    }

    /**
     * Opens the store in {@code dir} with every file create, write, fsync and rename reported to
     * {@code fileOps} first (a test injects faults this way; {@link FileOps#REAL} is the default).
     */
    public static SnapshotStore open(Path dir, FileOps fileOps) {
        java.util.Objects.requireNonNull(fileOps, "fileOps");
        try {
            Files.createDirectories(dir.resolve("layers"));
        } catch (IOException e) {
            throw new BlockDeviceException.Io(dir.toString(), "open store", e);
        }
        SnapshotStore store = new SnapshotStore(dir, fileOps);
        try {
            store.journal.call(() -> store.log.locked(() -> {
                checkFormat(dir);
                store.catalog.validate(dir);
                store.log.createIfAbsent();
                return null;
            }));
            return store;
        } catch (RuntimeException e) {
            store.journal.close();
            try {
                store.log.closeLog();
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
            if (version != FORMAT_VERSION) {
                throw new StoreException(AmiforgeException.Kind.INVALID_INPUT, "UnsupportedStoreVersion",
                        "store " + dir + " has format version " + parts[1] + "; this amiforge reads version "
                                + FORMAT_VERSION + (version > FORMAT_VERSION ? " (the store is newer: upgrade amiforge)" : ""));
            }
            return;
        }
        if (Files.exists(dir.resolve("catalog"))) {
            throw new StoreException(AmiforgeException.Kind.INVALID_INPUT, "UnsupportedStoreVersion",
                    "store " + dir + " has a catalog but no FORMAT file (expected '" + FORMAT_NAME + " " + FORMAT_VERSION + "')");
        }
        Path tmp = dir.resolve("FORMAT.tmp");
        Files.writeString(tmp, FORMAT_NAME + " " + FORMAT_VERSION + "\n", StandardCharsets.UTF_8);
        try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            c.force(true);
        }
        Files.move(tmp, format, StandardCopyOption.ATOMIC_MOVE);
        Catalog.fsyncDirectory(dir);
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

    private void runVoid(Runnable op) {
        run(() -> {
            op.run();
            return null;
        });
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
        VolumeWriter.checkName(name);
        VolumeOptions opts = options == null ? VolumeOptions.defaults() : options;
        VolumeWriter.checkSize(sizeBytes, opts);
        return run(() -> volumes.createVolume(name, sizeBytes, opts));
    }

    /** Opens a volume for writing; fails with {@code StoreLocked} while another process has it open. */
    public Volume openVolume(String name) {
        return run(() -> volumes.handle(volumes.state(name)));
    }

    public List<VolumeInfo> listVolumes() {
        return run(() -> catalog.volumes.values().stream().map(SnapshotStore::info).toList());
    }

    public VolumeInfo volume(String name) {
        return run(() -> info(catalog.volume(name)));
    }

    private static VolumeInfo info(Catalog.VolumeRecord v) {
        return new VolumeInfo(v.name, v.id, v.size, v.blockSize, v.write, v.read, v.parent, v.created);
    }

    public void deleteVolume(String name) {
        runVoid(() -> volumes.deleteVolume(name));
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
        VolumeWriter.checkName(newVolumeName);
        return run(() -> volumes.cloneVolume(snapshotId, newVolumeName, options));
    }

    // ---- snapshots ---------------------------------------------------------------------------

    public SnapshotInfo createSnapshot(String volumeName, String description) {
        return run(() -> volumes.createSnapshot(volumeName, description));
    }

    public List<SnapshotInfo> listSnapshots() {
        return run(() -> catalog.snapshots.values().stream().map(this::info).toList());
    }

    public SnapshotInfo snapshot(String id) {
        return run(() -> info(catalog.snapshot(id)));
    }

    SnapshotInfo info(Catalog.SnapshotRecord s) {
        long count = chains.layerOf(s).blockCount();
        if (!s.materialized) {
            count = chains.pending(s).getLongCardinality() + count;
        }
        return new SnapshotInfo(s.id, s.volume, s.parent, s.size, s.blockSize, s.description, s.created, count,
                Collections.unmodifiableMap(new LinkedHashMap<>(s.attributes)));
    }

    public void setSnapshotAttribute(String id, String key, String value) {
        if (key == null || key.isEmpty()) {
            throw StoreException.invalid("attribute key must not be empty");
        }
        runVoid(() -> {
            Catalog.SnapshotRecord s = catalog.snapshot(id);
            if (value == null) {
                s.attributes.remove(key);
            } else {
                s.attributes.put(key, value);
            }
            commit();
        });
    }

    /** A read-only device of the snapshot's full contents. */
    public BlockDevice openSnapshot(String id) {
        return run(() -> {
            Catalog.SnapshotRecord s = catalog.snapshot(id);
            Stack stack = chains.snapshotStack(id);
            return new SnapshotDevice(this, id, s.size, s.blockSize, stack);
        });
    }

    /**
     * Creates a snapshot directly from {@code blocksPresent} blocks of {@code layerContents}
     * (importing qcow2 chains, copying between stores); its parent must be in this store.
     */
    public SnapshotInfo importSnapshot(SnapshotInfo parentInThisStore, BlockDevice layerContents,
            Roaring64Bitmap blocksPresent, String description) {
        return run(() -> volumes.importSnapshot(parentInThisStore, layerContents, blocksPresent, description));
    }

    // ---- maintenance -------------------------------------------------------------------------

    /** Makes the volume's contents those of {@code snapshotId} (its current data is discarded). */
    public void rollback(String volumeName, String snapshotId) {
        runVoid(() -> maintenance.rollback(volumeName, snapshotId));
    }

    /**
     * Deletes a snapshot with EBS semantics: blocks that snapshots or volumes built on it still
     * need are merged into them; the rest is released with the snapshot's files.
     */
    public void deleteSnapshot(String id) {
        runVoid(() -> maintenance.deleteSnapshot(id));
    }

    /** Collapses the volume's chain into its own layer: afterwards its reads touch one layer. */
    public void flatten(String volumeName) {
        runVoid(() -> maintenance.flatten(volumeName));
    }

    /** Blocks that differ between two snapshots of one lineage (either may be the older one). */
    public ChangedBlocks diff(String fromSnapshotId, String toSnapshotId) {
        return run(() -> maintenance.diff(fromSnapshotId, toSnapshotId));
    }

    /** The blocks stored in that one snapshot's layer (written since its parent). */
    public ChangedBlocks blocks(String snapshotId) {
        return run(() -> maintenance.blocks(snapshotId));
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
            journal.call(() -> {
                journal.forceAll();
                log.saveIfAppended();
                return null;
            });
        } catch (RuntimeException | Error e) {
            failure = e; // still release files and locks: what was committed stays, nothing half is added
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
        } catch (IOException ignored) {
            // everything in it was saved in the catalog above
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
