package io.amiforge.store.remote;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.store.AccountId;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.StoreException;
import io.amiforge.store.Volume;
import io.amiforge.store.objects.ObjectInfo;
import io.amiforge.store.objects.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.roaringbitmap.longlong.Roaring64Bitmap;

/**
 * A snapshot store whose snapshots live on an object store and whose volumes stay local.
 *
 * <p>Volumes are those of a local {@link SnapshotStore} ({@link #local()}: create, open, write
 * them there). {@link #createSnapshot} takes a local snapshot and publishes it: the sealed layer
 * becomes one immutable packed object {@code layers/<id>.pack} (index sorted by block, data in
 * block order, a CRC32C per block and one for the whole object), uploaded first, then named by a
 * catalogue commit ({@link RemoteCatalog}); so a reader on any host sees a snapshot only once its
 * object is complete, and a failed upload or commit leaves no snapshot (the local one is deleted
 * again, an orphan object is removed by {@link #gc}). {@link #openSnapshot} reads a remote chain
 * lazily through the bounded {@link ChunkCache}; {@link #cloneVolume} copies a chain made on
 * another host into the local store once (the local snapshots remember the remote id in the
 * attribute {@value #REMOTE_ID}) and clones it there.
 *
 * <p>Several handles (hosts, processes) may use one bucket prefix at once, each with its own
 * local directory. Thread-safe.
 */
public final class RemoteSnapshotStore implements AutoCloseable {

    /** The local snapshot attribute naming the remote snapshot a local one is a copy of. */
    public static final String REMOTE_ID = "remote-snapshot";
    static final String LAYERS = "layers/";

    private final ObjectStore objects;
    private final SnapshotStore local;
    private final boolean ownsLocal;
    private final ChunkCache cache;
    private final RemoteCatalog catalog;
    private final Path uploads;
    private final Map<String, RemoteLayer> layers = new ConcurrentHashMap<>();
    private final AtomicInteger objectIds = new AtomicInteger();
    private final AtomicLong tempNames = new AtomicLong();
    private final Object publishing = new Object();

    private RemoteSnapshotStore(ObjectStore objects, SnapshotStore local, boolean ownsLocal, Path localDir, RemoteOptions options) {
        this.objects = objects;
        this.local = local;
        this.ownsLocal = ownsLocal;
        this.uploads = localDir.resolve("uploads");
        try {
            Files.createDirectories(uploads);
            try (var old = Files.list(uploads)) {
                for (Path p : old.toList()) {
                    Files.deleteIfExists(p); // packed files of a run that died before uploading them
                }
            }
        } catch (IOException e) {
            throw new BlockDeviceException.Io(uploads.toString(), "prepare the upload directory", e);
        }
        this.cache = new ChunkCache(objects, localDir.resolve("cache"), options.cacheBytes(), options.chunkSize());
        try {
            this.catalog = new RemoteCatalog(objects, options.checkpointEvery());
        } catch (RuntimeException e) {
            cache.close();
            throw e;
        }
    }

    /**
     * Opens the store on {@code objects}, with its volumes, read cache and upload scratch under
     * {@code localDir} (this handle's own; the volumes in {@code localDir/volumes}).
     */
    public static RemoteSnapshotStore open(ObjectStore objects, Path localDir, RemoteOptions options) {
        Objects.requireNonNull(objects, "objects");
        SnapshotStore local = SnapshotStore.open(localDir.resolve("volumes"));
        try {
            return new RemoteSnapshotStore(objects, local, true, localDir, options);
        } catch (RuntimeException e) {
            local.close();
            throw e;
        }
    }

    /**
     * The remote tier over an existing local store (a cloud region's, say), which the caller keeps
     * open and closes after this handle; the read cache and upload scratch go under {@code localDir}.
     */
    public static RemoteSnapshotStore over(ObjectStore objects, SnapshotStore local, Path localDir, RemoteOptions options) {
        Objects.requireNonNull(objects, "objects");
        Objects.requireNonNull(local, "local");
        return new RemoteSnapshotStore(objects, local, false, localDir, options);
    }

    /** The local store holding this handle's volumes (and the local copies of its snapshots). */
    public SnapshotStore local() {
        return local;
    }

    /** The object store, for messages and tools. */
    public ObjectStore objects() {
        return objects;
    }

    // ---- snapshots -------------------------------------------------------------------------

    /**
     * Snapshots the local volume and publishes the snapshot. When the upload or the commit
     * fails, the local snapshot is deleted again (its blocks stay in the volume) and the error
     * is thrown: no snapshot is visible anywhere.
     */
    public SnapshotInfo createSnapshot(String volumeName, String description) {
        return createSnapshot(null, volumeName, description);
    }

    /** As the public method, for {@code caller}'s volume (null: the trusted API); the snapshot is the volume owner's. */
    SnapshotInfo createSnapshot(AccountId caller, String volumeName, String description) {
        SnapshotInfo s = caller == null ? local.createSnapshot(volumeName, description)
                : local.as(caller).createSnapshot(volumeName, description);
        try {
            return publish(local, s.id());
        } catch (RuntimeException | Error e) {
            try {
                local.deleteSnapshot(s.id());
            } catch (RuntimeException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
    }

    /**
     * Publishes snapshot {@code id} of {@code source} (and, first, its ancestors not yet
     * published); returns the remote snapshot. Idempotent: a snapshot already in the catalogue
     * is returned as it is, an object already uploaded with the same checksum is not sent again.
     */
    SnapshotInfo publish(SnapshotStore source, String id) {
        synchronized (publishing) {
            SnapshotInfo s = source.snapshot(id);
            String remoteId = s.attributes().getOrDefault(REMOTE_ID, s.id());
            catalog.refresh();
            RemoteSnapshot known = catalog.snapshot().get(remoteId);
            if (known != null) {
                return known.info();
            }
            String parent = s.parentId() == null ? null : publish(source, s.parentId()).id();
            Roaring64Bitmap blocks = source.blocks(id).bitmap();
            String key = LAYERS + remoteId + ".pack";
            Path tmp = uploads.resolve(remoteId + "." + tempNames.incrementAndGet() + ".pack");
            try {
                LayerPacker.Packed packed;
                try (BlockDevice device = source.openSnapshot(id)) {
                    packed = LayerPacker.pack(device, blocks, tmp);
                }
                if (!alreadyUploaded(key, packed.size(), packed.crc())) {
                    objects.putFile(key, tmp, 0, packed.size());
                }
                RemoteSnapshot record = new RemoteSnapshot(remoteId, s.volumeName(), parent, s.size(), s.blockSize(),
                        s.description(), s.createdAt(), packed.entries(), s.ownerId(), s.createVolumePermission(), key,
                        packed.size(), packed.crc());
                Map<String, RemoteSnapshot> after = catalog.commit(records -> {
                    if (records.containsKey(remoteId)) {
                        return List.of(); // published meanwhile (a resumed migration on another host)
                    }
                    if (parent != null && !records.containsKey(parent)) {
                        throw new StoreException(AmiforgeException.Kind.NOT_FOUND, "InvalidSnapshot.NotFound",
                                "snapshot " + remoteId + ": its parent " + parent + " was deleted from " + objects.describe()
                                        + " while it was uploaded");
                    }
                    return List.of(RemoteCatalog.Op.put(record));
                });
                return after.get(remoteId).info();
            } finally {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    // scratch only: removed when the next handle opens this directory
                }
            }
        }
    }

    /** Whether {@code key} holds an object of {@code size} bytes whose trailer records {@code crc}. */
    private boolean alreadyUploaded(String key, long size, int crc) {
        ObjectInfo info = objects.head(key);
        if (info == null || info.size() != size) {
            return false;
        }
        ByteBuffer trailer = ByteBuffer.allocate(PackFormat.TRAILER);
        objects.read(key, size - PackFormat.TRAILER, trailer);
        try {
            return PackFormat.trailerCrc(trailer.flip(), key) == crc;
        } catch (BlockDeviceException.Corrupt e) {
            return false;
        }
    }

    /** Every remote snapshot, parents before children. */
    public List<SnapshotInfo> listSnapshots() {
        catalog.refresh();
        return catalog.snapshot().values().stream().map(RemoteSnapshot::info).toList();
    }

    /** One remote snapshot; {@code InvalidSnapshot.NotFound} if the catalogue has none of that id. */
    public SnapshotInfo snapshot(String id) {
        return record(id).info();
    }

    private RemoteSnapshot record(String id) {
        catalog.refresh();
        RemoteSnapshot r = catalog.snapshot().get(id);
        if (r == null) {
            throw notFound(id);
        }
        return r;
    }

    /** The answer for a missing snapshot, and for one the caller may not see (the same words). */
    StoreException notFound(String id) {
        return new StoreException(AmiforgeException.Kind.NOT_FOUND, "InvalidSnapshot.NotFound",
                "snapshot '" + id + "' does not exist in " + objects.describe());
    }

    /** The record, if {@code caller} owns it ({@code usable}: or may create volumes from it); else NotFound. */
    RemoteSnapshot record(AccountId caller, String id, boolean usable) {
        RemoteSnapshot r = record(id);
        if (caller != null && !visible(r, caller, usable)) {
            throw notFound(id);
        }
        return r;
    }

    static boolean visible(RemoteSnapshot r, AccountId caller, boolean usable) {
        return caller.value().equals(r.owner())
                || usable && (r.permissions().contains("all") || r.permissions().contains(caller.value()));
    }

    /**
     * The store as {@code account} sees it: only the snapshots it owns (and those shared with
     * it, to describe and clone), its own volumes; the same rules as {@link SnapshotStore#as}.
     */
    public RemoteTenant as(AccountId account) {
        return new RemoteTenant(this, Objects.requireNonNull(account, "account"));
    }

    /** Adds and removes create-volume permissions of a snapshot {@code caller} owns; one commit. */
    SnapshotInfo modifyPermission(AccountId caller, String id, List<String> add, List<String> remove) {
        for (String who : add) {
            checkGrantee(who);
        }
        for (String who : remove) {
            checkGrantee(who);
        }
        return catalog.commit(records -> {
            RemoteSnapshot r = records.get(id);
            if (r == null || caller != null && !caller.value().equals(r.owner())) {
                throw notFound(id);
            }
            java.util.LinkedHashSet<String> perms = new java.util.LinkedHashSet<>(r.permissions());
            perms.addAll(add);
            perms.removeAll(remove);
            perms.remove(r.owner());
            if (perms.equals(new java.util.LinkedHashSet<>(r.permissions()))) {
                return List.of();
            }
            return List.of(RemoteCatalog.Op.put(r.withPermissions(List.copyOf(perms))));
        }).get(id).info();
    }

    private static void checkGrantee(String who) {
        if (!"all".equals(who) && !AccountId.isValid(who)) {
            throw new StoreException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "create-volume permission '" + who + "' is neither a 12-digit account id nor 'all'");
        }
    }

    /** A read-only device of the remote snapshot's full contents, read lazily through the cache. */
    public BlockDevice openSnapshot(String id) {
        RemoteSnapshot top = record(id);
        Map<String, RemoteSnapshot> records = catalog.snapshot();
        List<RemoteLayer> chain = new ArrayList<>();
        for (RemoteSnapshot r = top; r != null; r = r.parent() == null ? null : records.get(r.parent())) {
            chain.add(layer(r));
            if (r.parent() != null && !records.containsKey(r.parent())) {
                throw new BlockDeviceException.Corrupt("snapshot " + r.id() + " in " + objects.describe() + ": its parent "
                        + r.parent() + " is not in the catalogue");
            }
        }
        return new RemoteSnapshotDevice(objects.describe() + " " + id, top.size(), top.blockSize(), chain.toArray(RemoteLayer[]::new));
    }

    private RemoteLayer layer(RemoteSnapshot r) {
        return layers.computeIfAbsent(r.layerKey(),
                key -> RemoteLayer.load(objects, cache, objectIds.incrementAndGet(), key, r.objectSize()));
    }

    /**
     * A new local volume with the contents of remote snapshot {@code id}. A chain published from
     * this handle is cloned lazily as any local snapshot; one made elsewhere is first copied into
     * the local store (once per snapshot: O(blocks of the chain)).
     */
    public Volume cloneVolume(String id, String newVolumeName) {
        return local.cloneVolume(localCopy(local, id), newVolumeName);
    }

    /**
     * The id of the local store's copy of remote snapshot {@code id}, copying it (and the
     * ancestors it has no copy of) on first use: what a local consumer such as the cloud's image
     * registry names, so an AMI can be registered from a snapshot kept on the object store.
     */
    public String localSnapshotOf(String id) {
        return localCopy(local, id);
    }

    /** A volume of {@code caller}'s cloned from a remote snapshot it owns or may use. */
    Volume cloneVolume(AccountId caller, String id, String newVolumeName) {
        record(caller, id, true);
        String copy = localCopy(local, id);
        AccountId copyOwner = AccountId.of(local.snapshot(copy).ownerId());
        return local.as(caller).cloneGranted(copyOwner, copy, newVolumeName);
    }

    /** The id of {@code target}'s copy of remote snapshot {@code id}, importing it (and its ancestors) if it has none. */
    String localCopy(SnapshotStore target, String id) {
        synchronized (publishing) {
            RemoteSnapshot r = record(id);
            for (SnapshotInfo s : target.listSnapshots()) {
                if (id.equals(s.attributes().getOrDefault(REMOTE_ID, s.id()))) {
                    return s.id();
                }
            }
            SnapshotInfo parent = r.parent() == null ? null : target.snapshot(localCopy(target, r.parent()));
            Roaring64Bitmap blocks = new Roaring64Bitmap();
            for (long b : layer(r).blocks()) {
                blocks.addLong(b);
            }
            SnapshotInfo copy;
            try (BlockDevice device = openSnapshot(id)) {
                copy = target.importSnapshot(parent, device, blocks, r.description());
            }
            target.setSnapshotAttribute(copy.id(), REMOTE_ID, id);
            return copy.id();
        }
    }

    /**
     * Deletes a remote snapshot with EBS semantics: each child's layer is re-packed with the
     * blocks it read from the deleted one (a new object, uploaded before the one commit that
     * swaps the children's layers and drops the snapshot); the local copy is deleted too. Objects
     * no longer named are left for {@link #gc} (readers on other hosts may still be reading them).
     */
    public void deleteSnapshot(String id) {
        synchronized (publishing) {
            record(id);
            for (SnapshotInfo s : local.listSnapshots()) {
                if (id.equals(s.attributes().getOrDefault(REMOTE_ID, s.id()))) {
                    local.deleteSnapshot(s.id());
                }
            }
            while (true) {
                RemoteSnapshot gone = record(id);
                List<RemoteSnapshot> children = catalog.snapshot().values().stream().filter(r -> id.equals(r.parent())).toList();
                List<RemoteSnapshot> merged = new ArrayList<>();
                for (RemoteSnapshot child : children) {
                    merged.add(mergeInto(child, gone));
                }
                boolean[] raced = {false};
                catalog.commit(records -> {
                    if (!gone.equals(records.get(id))) {
                        if (records.containsKey(id)) {
                            raced[0] = true;
                            return List.of();
                        }
                        throw new StoreException(AmiforgeException.Kind.NOT_FOUND, "InvalidSnapshot.NotFound",
                                "snapshot '" + id + "' was deleted meanwhile from " + objects.describe());
                    }
                    List<RemoteSnapshot> now = records.values().stream().filter(r -> id.equals(r.parent())).toList();
                    if (!now.equals(children)) {
                        raced[0] = true; // a child was added or changed: merge again
                        return List.of();
                    }
                    List<RemoteCatalog.Op> ops = new ArrayList<>();
                    for (RemoteSnapshot m : merged) {
                        ops.add(RemoteCatalog.Op.put(m));
                    }
                    ops.add(RemoteCatalog.Op.delete(id));
                    return ops;
                });
                if (!raced[0]) {
                    return;
                }
            }
        }
    }

    /** {@code child} re-packed with the blocks of {@code parent}'s layer it does not override, under a fresh key. */
    private RemoteSnapshot mergeInto(RemoteSnapshot child, RemoteSnapshot parent) {
        Roaring64Bitmap blocks = new Roaring64Bitmap();
        for (long b : layer(child).blocks()) {
            blocks.addLong(b);
        }
        for (long b : layer(parent).blocks()) {
            blocks.addLong(b);
        }
        String key = LAYERS + child.id() + "." + Long.toHexString(System.nanoTime()) + Long.toHexString(tempNames.incrementAndGet())
                + ".pack";
        Path tmp = uploads.resolve(child.id() + "." + tempNames.incrementAndGet() + ".pack");
        try (BlockDevice device = openSnapshot(child.id())) {
            LayerPacker.Packed packed = LayerPacker.pack(device, blocks, tmp);
            objects.putFile(key, tmp, 0, packed.size());
            return child.withLayer(parent.parent(), key, packed.size(), packed.crc(), packed.entries());
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException e) {
                // scratch only: removed when the next handle opens this directory
            }
        }
    }

    // ---- maintenance -----------------------------------------------------------------------

    /**
     * Reads every catalogued layer object whole, bypassing the cache, and checks its size, its
     * whole-object CRC32C (trailer and catalogue), header, index and every block's CRC32C.
     */
    public RemoteVerifyReport verify() {
        catalog.refresh();
        Map<String, RemoteSnapshot> records = catalog.snapshot();
        List<String> damage = new ArrayList<>();
        long blocks = 0;
        Set<String> referenced = new HashSet<>();
        for (RemoteSnapshot r : records.values()) {
            referenced.add(r.layerKey());
            blocks += ObjectVerifier.verify(objects, r, damage);
        }
        List<String> unreferenced = new ArrayList<>();
        for (ObjectInfo o : objects.list(LAYERS)) {
            if (!referenced.contains(o.key())) {
                unreferenced.add(o.key());
            }
        }
        return new RemoteVerifyReport(records.size(), blocks, damage, unreferenced);
    }

    /**
     * Deletes layer objects no snapshot names that are older than {@code grace}, catalogue
     * checkpoints but the newest two that are older than it, and aborts multipart uploads older
     * than it. The grace period must outlast the slowest upload-to-commit
     * of any host (an object is uploaded before the commit that names it).
     */
    public GcReport gc(Duration grace) {
        long now = System.currentTimeMillis();
        List<ObjectInfo> candidates = objects.list(LAYERS);
        catalog.refresh(); // after the listing: an object committed in between is seen as named
        Set<String> referenced = new HashSet<>();
        for (RemoteSnapshot r : catalog.snapshot().values()) {
            referenced.add(r.layerKey());
        }
        List<String> deleted = new ArrayList<>();
        for (ObjectInfo o : candidates) {
            if (!referenced.contains(o.key()) && now - o.lastModified() >= grace.toMillis()) {
                objects.delete(o.key());
                deleted.add(o.key());
            }
        }
        // checkpoints but the newest two: a handle opens from the newest readable one (manifests are all kept)
        List<ObjectInfo> checkpoints = objects.list(RemoteCatalog.CHECKPOINTS);
        for (int i = 0; i < checkpoints.size() - 2; i++) {
            ObjectInfo o = checkpoints.get(i);
            if (now - o.lastModified() >= grace.toMillis()) {
                objects.delete(o.key());
                deleted.add(o.key());
            }
        }
        int aborted = objects.abortStaleUploads(LAYERS, grace.toMillis());
        layers.keySet().retainAll(referenced); // open devices keep their own layers; new ones load what is named now
        return new GcReport(deleted, aborted);
    }

    /** The read cache's bytes on disk, its bound and its counters (hits, misses, bypassed, evictions, bytes fetched). */
    public CacheStats cacheStats() {
        long[] s = cache.stats();
        return new CacheStats(cache.bytesHeld(), cache.capacity(), s[0], s[1], s[2], s[3], s[4]);
    }

    /**
     * The read cache's state.
     *
     * @param bytesHeld    bytes of cached chunks now (the cache file is sparse: this is what it takes on disk)
     * @param capacity     the most it may take
     * @param hits         chunk reads served from the cache
     * @param misses       chunks fetched
     * @param bypassed     reads sent straight to the object store (every chunk was in use)
     * @param evictions    chunks dropped to make room
     * @param fetchedBytes bytes fetched into the cache
     */
    public record CacheStats(long bytesHeld, long capacity, long hits, long misses, long bypassed, long evictions,
            long fetchedBytes) {
    }

    /** Commits made by this handle that lost a race and were retried, plus those that won. */
    long commitAttempts() {
        return catalog.attempts();
    }

    @Override
    public void close() {
        try {
            cache.close();
        } finally {
            if (ownsLocal) {
                local.close();
            }
        }
    }
}
