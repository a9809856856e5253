package io.amiforge.store;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import java.lang.foreign.MemorySegment;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.roaringbitmap.longlong.Roaring64Bitmap;

/**
 * The volume writer: the volumes this process has open for writing, their locks, and the
 * operations that create volumes and snapshots. Journal thread only (through
 * {@link SnapshotStore}), with the catalog lock held.
 *
 * <p>A volume is written by one process at a time: {@code locks/<name>.lock} is held while a
 * {@link Volume} handle of it is open, and for the length of any operation that changes it
 * (a snapshot, a rollback...). Another process asking for it gets {@code StoreLocked} naming the
 * volume and the holder's pid.
 */
final class VolumeWriter {

    private static final long MAX_SIZE = 1L << 50;

    private final SnapshotStore store;
    private final Map<String, VolumeState> states = new HashMap<>();

    VolumeWriter(SnapshotStore store) {
        this.store = store;
    }

    /** Names of the volumes this process holds (their records in memory are the newest). */
    Set<String> held() {
        return Set.copyOf(states.keySet());
    }

    /**
     * Takes volume {@code name}'s lock without loading the volume (no stack, no read index): to
     * keep other processes from opening it while its chain changes under it; the caller closes
     * it. Throws {@code StoreLocked} if another process (or this one) holds it.
     */
    StoreLock lockVolume(String name) {
        return StoreLock.tryAcquire(store.directory().resolve("locks").resolve(name + ".lock"),
                "volume " + name + " of store " + store.directory());
    }

    /** Whether this process holds volume {@code name} (its lock, and its state in memory). */
    boolean holds(String name) {
        return states.containsKey(name);
    }

    /** The volumes this process holds. */
    Iterable<VolumeState> all() {
        return List.copyOf(states.values());
    }

    /** The state of volume {@code name}, taking its lock if this process does not hold it yet. */
    VolumeState state(String name) {
        VolumeState st = states.get(name);
        if (st == null) {
            Catalog.VolumeRecord v = store.catalog.volume(name);
            StoreLock lock = lockVolume(name);
            try {
                st = new VolumeState(store, v, store.chains.volumeStack(v, null), lock);
            } catch (RuntimeException e) {
                lock.close();
                throw e;
            }
            states.put(name, st);
        }
        return st;
    }

    /** As {@link #state}, or null if another process holds the volume. */
    VolumeState stateIfFree(String name) {
        try {
            return state(name);
        } catch (StoreException e) {
            if ("StoreLocked".equals(e.code())) {
                return null;
            }
            throw e;
        }
    }

    /** A new handle on the volume (it keeps the volume's lock until closed). */
    Volume handle(VolumeState st) {
        st.handles++;
        return new StoreVolume(st);
    }

    /** A handle was closed: the last one gives the volume's lock back (journal thread). */
    void closed(VolumeState st) {
        st.handles--;
        releaseIdle();
    }

    /** Gives back the locks of volumes without open handles (after every operation). */
    void releaseIdle() {
        for (Iterator<VolumeState> it = states.values().iterator(); it.hasNext(); ) {
            VolumeState st = it.next();
            if (st.handles <= 0) {
                it.remove();
                unload(st);
            }
        }
    }

    /** Makes the volume's current layer durable, closes it and releases the volume's lock. */
    private void unload(VolumeState st) {
        Layer top = st.top();
        try {
            top.force(); // the next holder (maybe another process) opens it from disk
            store.journal.forget(top);
            top.close();
        } finally {
            st.lock.close();
        }
    }

    /** Closes every held volume (store close; the journal has fsynced them). */
    void closeAll() {
        for (VolumeState st : states.values()) {
            try {
                st.top().close();
            } finally {
                st.lock.close();
            }
        }
        states.clear();
    }

    // ---- operations --------------------------------------------------------------------------

    static void checkName(String name) {
        if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}")) {
            throw StoreException.invalid("volume name '" + name + "' must be 1-128 of A-Z a-z 0-9 . _ - (starting alphanumeric)");
        }
    }

    static void checkSize(long sizeBytes, VolumeOptions opts) {
        if (sizeBytes <= 0 || sizeBytes > MAX_SIZE || sizeBytes % opts.blockSize() != 0) {
            throw StoreException.invalid("volume size " + sizeBytes + " must be a positive multiple of the block size "
                    + opts.blockSize() + " and at most " + MAX_SIZE);
        }
    }

    Volume createVolume(String name, long sizeBytes, VolumeOptions opts, AccountId owner) {
        Catalog catalog = store.catalog;
        if (catalog.volumes.containsKey(name)) {
            throw StoreException.duplicateVolume(name);
        }
        Catalog.VolumeRecord v = new Catalog.VolumeRecord();
        v.name = name;
        v.id = Catalog.newId("vol-");
        v.size = sizeBytes;
        v.blockSize = opts.blockSize();
        v.write = opts.writeStrategy();
        v.read = opts.readIndex();
        v.layer = Catalog.newId("lay-");
        v.created = Instant.now();
        v.owner = owner.value();
        return add(v);
    }

    /** Commits a new volume record and opens it (its lock is taken before the record is visible). */
    private Volume add(Catalog.VolumeRecord v) {
        StoreLock lock = lockVolume(v.name);
        VolumeState st;
        try {
            store.catalog.add(v);
            st = new VolumeState(store, v, store.chains.volumeStack(v, null), lock);
            store.commit();
        } catch (RuntimeException e) {
            store.catalog.discard(v);
            lock.close();
            throw e;
        }
        states.put(v.name, st);
        return handle(st);
    }

    Volume cloneVolume(String snapshotId, String newVolumeName, VolumeOptions options, AccountId owner) {
        Catalog catalog = store.catalog;
        Catalog.SnapshotRecord s = catalog.snapshot(snapshotId);
        if (catalog.volumes.containsKey(newVolumeName)) {
            throw StoreException.duplicateVolume(newVolumeName);
        }
        if (options != null && options.blockSize() != s.blockSize) {
            throw StoreException.invalid("snapshot " + s.id + " has block size " + s.blockSize
                    + "; a clone cannot have block size " + options.blockSize());
        }
        store.chains.snapshotStack(snapshotId); // completes copy-on-write snapshots of the chain
        Catalog.VolumeRecord source = catalog.volumeById(s.volumeId);
        Catalog.VolumeRecord v = new Catalog.VolumeRecord();
        v.name = newVolumeName;
        v.id = Catalog.newId("vol-");
        v.size = s.size;
        v.blockSize = s.blockSize;
        v.write = options != null ? options.writeStrategy() : source == null ? VolumeOptions.DEFAULT_WRITE_STRATEGY : source.write;
        v.read = options != null ? options.readIndex() : source == null ? VolumeOptions.DEFAULT_READ_INDEX : source.read;
        v.parent = s.id;
        v.base = s.id;
        v.layer = Catalog.newId("lay-");
        v.created = Instant.now();
        v.owner = owner.value();
        return add(v);
    }

    void deleteVolume(String name) {
        VolumeState state = state(name);
        if (state.cow()) {
            store.chains.materializeAllOf(state.rec);
            store.commit();
        }
        Layer top = state.top();
        store.exclusive(() -> {
            state.deleted = true;
            states.remove(name);
            store.catalog.removeVolume(name);
            try {
                store.commit();
                store.chains.dropLayer(top);
            } finally {
                state.lock.close();
            }
        });
    }

    SnapshotInfo createSnapshot(String volumeName, String description) {
        return createSnapshot(volumeName, description, null);
    }

    /** As above; {@code reservedId} (null: a new one) is an id handed out earlier, checked free here. */
    SnapshotInfo createSnapshot(String volumeName, String description, String reservedId) {
        if (reservedId != null && (!reservedId.matches("snap-[0-9a-f]{17}") || store.catalog.snapshots.containsKey(reservedId))) {
            throw StoreException.invalid("snapshot id '" + reservedId + "' is malformed or already taken");
        }
        VolumeState state = state(volumeName);
        Catalog.VolumeRecord v = state.rec;
        Catalog.SnapshotRecord s = new Catalog.SnapshotRecord();
        long cowBlocks = 0;
        s.id = reservedId != null ? reservedId : Catalog.newId("snap-");
        s.volume = v.name;
        s.volumeId = v.id;
        s.size = v.size;
        s.blockSize = v.blockSize;
        s.description = description == null ? "" : description;
        s.created = Instant.now();
        s.parent = v.parent;
        s.owner = v.owner;
        if (state.write.freezesOnSnapshot()) {
            // redirect-on-write: the current layer becomes the snapshot's, a new empty one goes on top
            Stack stack = state.stack();
            Layer frozen = stack.top();
            s.mode = "row";
            s.layer = frozen.id;
            s.base = v.base;
            s.materialized = true;
            store.chains.adopt(frozen);
            store.chains.frozen(frozen);
            Layer fresh = Layer.empty(store.fileOps, store.chains.layersDir(), Catalog.newId("lay-"), v.blockSize, state.blocks, false);
            Stack grown = stack.withTopOwner(s.id).push(fresh, null);
            v.layer = fresh.id;
            v.base = s.id;
            state.resolver = state.resolver.grown(grown);
        } else {
            // copy-on-write: the current layer stays; its blocks of this generation now belong to the snapshot
            cowBlocks = state.genBlocks;
            state.genBlocks = 0;
            s.mode = "cow";
            s.layer = Catalog.newId("lay-");
            s.base = v.parent;
            s.gen = v.gen;
            s.materialized = false;
            v.gen++;
        }
        v.parent = s.id;
        store.catalog.add(s);
        store.catalog.touch(v);
        // O(1) and no fsync: the two changed records are appended to the catalog log as one
        // checksummed batch (atomic, survives the process dying); the next flush, metadata
        // change or close makes it durable (group commit) by fsyncing the log
        state.stats.metadataBytesWritten.add(store.log.append(store.journal));
        long count = "row".equals(s.mode) ? store.chains.layerOf(s).blockCount() : cowBlocks;
        if ("row".equals(s.mode)) {
            store.autoPacker.snapshotTaken(v.name, s.id, store.chains.layerOf(s));
        }
        return new SnapshotInfo(s.id, s.volume, s.parent, s.size, s.blockSize, s.description, s.created, count, Map.of(),
                s.owner, List.of());
    }

    /** See {@link SnapshotStore#importSnapshot(SnapshotInfo, BlockDevice, Roaring64Bitmap, String)}. */
    SnapshotInfo importSnapshot(SnapshotInfo parentInThisStore, BlockDevice layerContents, Roaring64Bitmap blocksPresent,
            String description, AccountId owner) {
        // (the bitmap orders blocks as unsigned numbers: a negative one sorts last)
        if (!blocksPresent.isEmpty() && (blocksPresent.first() < 0 || blocksPresent.last() < 0)) {
            long bad = blocksPresent.first() < 0 ? blocksPresent.first() : blocksPresent.last();
            throw StoreException.invalid("block " + bad + " is outside layer " + layerContents.name());
        }
        long last = blocksPresent.isEmpty() ? -1 : blocksPresent.last();
        return importLayer(parentInThisStore, layerContents, last, description, owner, bulk -> {
            int bs = bulk.blockSize();
            var it = blocksPresent.getLongIterator();
            while (it.hasNext()) {
                long block = it.next();
                MemorySegment buf = bulk.next();
                layerContents.read(block * bs, buf);
                bulk.add(block, Layer.crc(buf), 0);
            }
        });
    }

    /** See {@link SnapshotStore#importSnapshot(SnapshotInfo, BlockDevice, BlockRuns, String)}. */
    SnapshotInfo importSnapshot(SnapshotInfo parentInThisStore, BlockDevice layerContents, BlockRuns runs,
            String description, AccountId owner) {
        boolean keepZeros = parentInThisStore != null; // zeros in a base layer read as zeros anyway
        return importLayer(parentInThisStore, layerContents, runs.end() - 1, description, owner,
                bulk -> LayerImport.fill(bulk, layerContents, runs, keepZeros));
    }

    /**
     * Makes a snapshot whose new layer {@code fill} writes through a {@link LayerBulk};
     * {@code lastBlock} is the highest block it will write (-1 for none), checked first.
     */
    private SnapshotInfo importLayer(SnapshotInfo parentInThisStore, BlockDevice layerContents, long lastBlock,
            String description, AccountId owner, Consumer<LayerBulk> fill) {
        Catalog.SnapshotRecord parent = null;
        if (parentInThisStore != null) {
            parent = store.catalog.snapshots.get(parentInThisStore.id());
            if (parent == null || !owner.value().equals(parent.owner)) {
                throw new StoreException(AmiforgeException.Kind.NOT_FOUND, "InvalidSnapshot.NotFound",
                        "parent snapshot " + parentInThisStore.id() + " is not in store " + store.directory());
            }
            if (parent.size != layerContents.size()) {
                throw StoreException.invalid("layer " + layerContents.name() + " has " + layerContents.size()
                        + " bytes but its parent " + parent.id + " has " + parent.size);
            }
        }
        int bs = parent != null ? parent.blockSize : Math.max(VolumeOptions.MIN_BLOCK_SIZE,
                Math.min(layerContents.blockSize(), VolumeOptions.MAX_BLOCK_SIZE));
        if (parent == null && bs < 4096 && layerContents.size() % 4096 == 0) {
            bs = 4096;
        }
        long size = layerContents.size();
        if (size <= 0 || size % bs != 0) {
            throw StoreException.invalid("layer " + layerContents.name() + " size " + size
                    + " is not a positive multiple of the block size " + bs);
        }
        long blocks = size / bs;
        if (lastBlock >= blocks) {
            throw StoreException.invalid("block " + lastBlock + " is outside layer " + layerContents.name()
                    + " (" + blocks + " blocks)");
        }
        Catalog.SnapshotRecord s = new Catalog.SnapshotRecord();
        s.id = Catalog.newId("snap-");
        s.volume = "";
        s.volumeId = "";
        s.parent = parent == null ? null : parent.id;
        s.base = s.parent;
        s.layer = Catalog.newId("lay-");
        s.size = size;
        s.blockSize = bs;
        s.description = description == null ? "" : description;
        s.created = Instant.now();
        s.mode = "row";
        s.materialized = true;
        s.owner = owner.value();
        Layer layer = Layer.empty(store.fileOps, store.chains.layersDir(), s.layer, bs, blocks, false);
        try {
            try (LayerBulk bulk = new LayerBulk(layer)) {
                fill.accept(bulk);
            }
            store.chains.adopt(layer);
            store.journal.dirty(layer);
            store.catalog.add(s);
            store.commit(); // throws only if the catalog was not committed (later failures are deferred)
        } catch (RuntimeException | Error e) {
            // not committed: the layer's files go too, so a failed import leaves nothing behind
            store.catalog.discard(s);
            try {
                store.chains.dropLayer(layer);
            } catch (RuntimeException | Error x) {
                e.addSuppressed(x);
            }
            throw e;
        }
        return store.info(s);
    }
}
