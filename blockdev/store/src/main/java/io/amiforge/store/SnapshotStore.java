package io.amiforge.store;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.BlockDeviceException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.roaringbitmap.longlong.Roaring64Bitmap;

/**
 * A persistent store of volumes and snapshots in one directory, like EBS: volumes are
 * writable block devices over chains of immutable, incremental snapshots.
 *
 * <h2>On disk</h2>
 * {@code FORMAT} (format version), {@code lock} (the owner's pid; an OS file lock keeps a second
 * process out), {@code catalog} (every volume and snapshot record, committed atomically),
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
 *       durable by the next group commit (a volume flush, another metadata change, or
 *       {@link #close}) so that it stays O(1). A volume write is durable after {@code flush()}.</li>
 * </ul>
 * Thread-safe. One process per store directory.
 */
public final class SnapshotStore implements AutoCloseable {

    static final String FORMAT_NAME = "amiforge-snapshot-store";
    static final int FORMAT_VERSION = 1;
    private static final long MAX_SIZE = 1L << 50;

    private final Path dir;
    private final Path layersDir;
    private final Path catalogPath;
    private final FileChannel lockChannel;
    private final FileLock lock;
    final Catalog catalog;
    final Journal journal;
    private final ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
    private final Map<String, Layer> layers = new HashMap<>();
    private final Map<String, VolumeState> states = new HashMap<>();
    /** Seeded once from SecureRandom; ids need uniqueness, not secrecy, and must be cheap. */
    private final java.util.SplittableRandom ids = new java.util.SplittableRandom(new SecureRandom().nextLong());
    private final MemorySegment scratch = Arena.ofAuto().allocate(VolumeOptions.MAX_BLOCK_SIZE, 4096);
    private volatile boolean closed;
    /** The catalog was committed without fsync (a snapshot); the next group commit makes it durable. */
    private boolean catalogUnsynced;
    private FileChannel log;
    private long logLength;
    private long logAllocated;
    private Arena logArena;
    private MemorySegment logMap;
    private static final int LOG_CHUNK = 256 * 1024;

    private SnapshotStore(Path dir, FileChannel lockChannel, FileLock lock, Catalog catalog) {
        this.dir = dir;
        this.layersDir = dir.resolve("layers");
        this.catalogPath = dir.resolve("catalog");
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.catalog = catalog;
        this.journal = new Journal(dir.getFileName() == null ? dir.toString() : dir.getFileName().toString());
        this.journal.afterForce = this::syncCatalog;
    }

    /** Opens the store in {@code dir}, creating it if absent; fails if another process holds it. */
    public static SnapshotStore open(Path dir) {
        FileChannel channel = null;
        FileLock lock = null;
        try {
            Files.createDirectories(dir);
            Path lockPath = dir.resolve("lock");
            channel = FileChannel.open(lockPath, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                String holder = new String(Files.readAllBytes(lockPath), StandardCharsets.UTF_8).trim();
                channel.close();
                throw new StoreException(AmiforgeException.Kind.NOT_PERMITTED, "StoreLocked",
                        "store " + dir + " is in use by process " + (holder.isEmpty() ? "(unknown pid)" : holder)
                                + " (lock file " + lockPath + ")");
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            channel.force(true);
            checkFormat(dir);
            Catalog catalog = Catalog.load(dir.resolve("catalog"));
            catalog.replayLog(logPath(dir, catalog.logGeneration));
            validate(dir, catalog);
            Files.createDirectories(dir.resolve("layers"));
            return new SnapshotStore(dir, channel, lock, catalog);
        } catch (IOException e) {
            release(channel, lock);
            throw new BlockDeviceException.Io(dir.toString(), "open store", e);
        } catch (RuntimeException e) {
            release(channel, lock);
            throw e;
        }
    }

    static Path logPath(Path dir, long generation) {
        return dir.resolve("catalog." + generation + ".log");
    }

    private static void release(FileChannel channel, FileLock lock) {
        try {
            if (lock != null) {
                lock.release();
            }
            if (channel != null) {
                channel.close();
            }
        } catch (IOException ignored) {
            // nothing more to do: the store was not opened
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

    private static void validate(Path dir, Catalog catalog) {
        for (Catalog.SnapshotRecord s : catalog.snapshots.values()) {
            for (String ref : new String[] {s.parent, s.base}) {
                if (ref != null && !catalog.snapshots.containsKey(ref)) {
                    throw StoreException.corrupt("store " + dir + ": snapshot " + s.id + " names parent " + ref
                            + ", which is missing from the catalog");
                }
            }
        }
        for (Catalog.VolumeRecord v : catalog.volumes.values()) {
            for (String ref : new String[] {v.parent, v.base}) {
                if (ref != null && !catalog.snapshots.containsKey(ref)) {
                    throw StoreException.corrupt("store " + dir + ": volume " + v.name + " names parent snapshot " + ref
                            + ", which is missing from the catalog");
                }
            }
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

    private <T> T run(java.util.concurrent.Callable<T> op) {
        checkOpen();
        return journal.call(op);
    }

    // ---- volumes -----------------------------------------------------------------------------

    public Volume createVolume(String name, long sizeBytes, VolumeOptions options) {
        checkName(name);
        VolumeOptions opts = options == null ? VolumeOptions.defaults() : options;
        if (sizeBytes <= 0 || sizeBytes > MAX_SIZE || sizeBytes % opts.blockSize() != 0) {
            throw StoreException.invalid("volume size " + sizeBytes + " must be a positive multiple of the block size "
                    + opts.blockSize() + " and at most " + MAX_SIZE);
        }
        return run(() -> {
            if (catalog.volumes.containsKey(name)) {
                throw StoreException.duplicateVolume(name);
            }
            Catalog.VolumeRecord v = new Catalog.VolumeRecord();
            v.name = name;
            v.id = newId("vol-");
            v.size = sizeBytes;
            v.blockSize = opts.blockSize();
            v.write = opts.writeStrategy();
            v.read = opts.readIndex();
            v.layer = newId("lay-");
            v.created = Instant.now();
            catalog.volumes.put(name, v);
            commit();
            return new StoreVolume(state(name));
        });
    }

    public Volume openVolume(String name) {
        return run(() -> new StoreVolume(state(name)));
    }

    public List<VolumeInfo> listVolumes() {
        return run(() -> catalog.volumes.values().stream().map(SnapshotStore::info).toList());
    }

    public VolumeInfo volume(String name) {
        return run(() -> info(volumeRecord(name)));
    }

    private static VolumeInfo info(Catalog.VolumeRecord v) {
        return new VolumeInfo(v.name, v.id, v.size, v.blockSize, v.write, v.read, v.parent, v.created);
    }

    public void deleteVolume(String name) {
        run(() -> {
            Catalog.VolumeRecord v = volumeRecord(name);
            VolumeState state = state(name);
            if (state.cow()) {
                materializeAllOf(v);
            }
            Layer top = state.top();
            rw.writeLock().lock();
            try {
                state.deleted = true;
                states.remove(name);
                catalog.volumes.remove(name);
                commit();
                dropLayer(top);
            } finally {
                rw.writeLock().unlock();
            }
            return null;
        });
    }

    // ---- snapshots ---------------------------------------------------------------------------

    public SnapshotInfo createSnapshot(String volumeName, String description) {
        return run(() -> {
            VolumeState state = state(volumeName);
            Catalog.VolumeRecord v = state.rec;
            Catalog.SnapshotRecord s = new Catalog.SnapshotRecord();
            long cowBlocks = 0;
            s.id = newId("snap-");
            s.volume = v.name;
            s.volumeId = v.id;
            s.size = v.size;
            s.blockSize = v.blockSize;
            s.description = description == null ? "" : description;
            s.created = Instant.now();
            s.parent = v.parent;
            if (state.write.freezesOnSnapshot()) {
                // redirect-on-write: the current layer becomes the snapshot's, a new empty one goes on top
                Stack stack = state.stack();
                Layer frozen = stack.top();
                s.mode = "row";
                s.layer = frozen.id;
                s.base = v.base;
                s.materialized = true;
                layers.put(frozen.id, frozen);
                Layer fresh = Layer.empty(layersDir, newId("lay-"), v.blockSize, state.blocks, false);
                Stack grown = stack.withTopOwner(s.id).push(fresh, null);
                v.layer = fresh.id;
                v.base = s.id;
                state.resolver = state.resolver.grown(grown);
            } else {
                // copy-on-write: the current layer stays; its blocks of this generation now belong to the snapshot
                cowBlocks = state.genBlocks;
                state.genBlocks = 0;
                s.mode = "cow";
                s.layer = newId("lay-");
                s.base = v.parent;
                s.gen = v.gen;
                s.materialized = false;
                v.gen++;
            }
            v.parent = s.id;
            catalog.snapshots.put(s.id, s);
            // O(1) and no fsync: the two changed records are appended to the catalog log as one
            // checksummed batch (atomic, survives the process dying); the next flush, metadata
            // change or close makes it durable (group commit) by saving the whole catalog
            state.stats.metadataBytesWritten.add(appendLog(Catalog.line(v) + Catalog.line(s)));
            catalogUnsynced = true;
            long count = "row".equals(s.mode) ? layerOf(s).blockCount() : cowBlocks;
            return new SnapshotInfo(s.id, s.volume, s.parent, s.size, s.blockSize, s.description, s.created, count,
                    Map.of());
        });
    }

    public List<SnapshotInfo> listSnapshots() {
        return run(() -> catalog.snapshots.values().stream().map(this::info).toList());
    }

    public SnapshotInfo snapshot(String id) {
        return run(() -> info(snapshotRecord(id)));
    }

    SnapshotInfo info(Catalog.SnapshotRecord s) {
        long count = layerOf(s).blockCount();
        if (!s.materialized) {
            count = pending(s).getLongCardinality() + count;
        }
        return new SnapshotInfo(s.id, s.volume, s.parent, s.size, s.blockSize, s.description, s.created, count,
                Collections.unmodifiableMap(new LinkedHashMap<>(s.attributes)));
    }

    public void setSnapshotAttribute(String id, String key, String value) {
        if (key == null || key.isEmpty()) {
            throw StoreException.invalid("attribute key must not be empty");
        }
        run(() -> {
            Catalog.SnapshotRecord s = snapshotRecord(id);
            if (value == null) {
                s.attributes.remove(key);
            } else {
                s.attributes.put(key, value);
            }
            commit();
            return null;
        });
    }

    /** A read-only device of the snapshot's full contents. */
    public BlockDevice openSnapshot(String id) {
        return run(() -> {
            Catalog.SnapshotRecord s = snapshotRecord(id);
            Stack stack = snapshotStack(id);
            return new SnapshotDevice(this, id, s.size, s.blockSize, stack);
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
        checkName(newVolumeName);
        return run(() -> {
            Catalog.SnapshotRecord s = snapshotRecord(snapshotId);
            if (catalog.volumes.containsKey(newVolumeName)) {
                throw StoreException.duplicateVolume(newVolumeName);
            }
            snapshotStack(snapshotId); // completes copy-on-write snapshots of the chain
            Catalog.VolumeRecord source = null;
            for (Catalog.VolumeRecord v : catalog.volumes.values()) {
                if (v.id.equals(s.volumeId)) {
                    source = v;
                }
            }
            Catalog.VolumeRecord v = new Catalog.VolumeRecord();
            v.name = newVolumeName;
            v.id = newId("vol-");
            v.size = s.size;
            v.blockSize = s.blockSize;
            if (options != null && options.blockSize() != s.blockSize) {
                throw StoreException.invalid("snapshot " + s.id + " has block size " + s.blockSize
                        + "; a clone cannot have block size " + options.blockSize());
            }
            v.write = options != null ? options.writeStrategy() : source == null ? VolumeOptions.DEFAULT_WRITE_STRATEGY : source.write;
            v.read = options != null ? options.readIndex() : source == null ? VolumeOptions.DEFAULT_READ_INDEX : source.read;
            v.parent = s.id;
            v.base = s.id;
            v.layer = newId("lay-");
            v.created = Instant.now();
            catalog.volumes.put(v.name, v);
            commit();
            return new StoreVolume(state(v.name));
        });
    }

    /** Makes the volume's contents those of {@code snapshotId} (its current data is discarded). */
    public void rollback(String volumeName, String snapshotId) {
        run(() -> {
            VolumeState state = state(volumeName);
            Catalog.VolumeRecord v = state.rec;
            Catalog.SnapshotRecord s = snapshotRecord(snapshotId);
            if (s.size != v.size || s.blockSize != v.blockSize) {
                throw StoreException.invalid("snapshot " + snapshotId + " (" + s.size + " bytes, block " + s.blockSize
                        + ") does not fit volume " + volumeName + " (" + v.size + " bytes, block " + v.blockSize + ")");
            }
            if (state.cow()) {
                materializeAllOf(v);
            }
            snapshotStack(snapshotId);
            Layer old = state.top();
            rw.writeLock().lock();
            try {
                v.layer = newId("lay-");
                v.base = s.id;
                v.parent = s.id;
                if (state.cow()) {
                    v.gen++;
                }
                state.rebuild();
                commit();
                dropLayer(old);
            } finally {
                rw.writeLock().unlock();
            }
            return null;
        });
    }

    /**
     * Deletes a snapshot with EBS semantics: blocks that snapshots or volumes built on it still
     * need are merged into them; the rest is released with the snapshot's files.
     */
    public void deleteSnapshot(String id) {
        run(() -> {
            Catalog.SnapshotRecord s = snapshotRecord(id);
            materialize(s);
            Layer own = layerOf(s);
            String where = "snapshot " + s.id;
            for (Catalog.SnapshotRecord x : List.copyOf(catalog.snapshots.values())) {
                if (id.equals(x.base)) {
                    materialize(x);
                    Layer target = layerOf(x);
                    own.forEach((block, entry) -> {
                        if (!target.has(block)) {
                            copyBlock(own, block, target, 0, where, scratch);
                        }
                        return 0;
                    });
                }
            }
            for (Catalog.VolumeRecord w : catalog.volumes.values()) {
                if (id.equals(w.base)) {
                    VolumeState ws = state(w.name);
                    Layer target = ws.top();
                    // copy-on-write: merged blocks equal the lineage parent's view (BASE), unless that parent is
                    // the snapshot going away: then they are changes relative to the new parent (current generation)
                    int gen = !ws.cow() ? 0 : id.equals(w.parent) ? w.gen : VolumeState.BASE_GEN;
                    own.forEach((block, entry) -> {
                        if (!target.has(block)) {
                            copyBlock(own, block, target, gen, where, scratch);
                            ws.stats.blocksCopied.increment();
                        }
                        return 0;
                    });
                }
            }
            for (Catalog.VolumeRecord w : catalog.volumes.values()) {
                if (id.equals(w.parent) && VolumeStrategies.inPlace(w)) {
                    // blocks a flatten or merge copied down stand for the lineage parent's view; that
                    // parent goes away, so they become changes of the current generation
                    VolumeState ws = state(w.name);
                    Layer current = ws.top();
                    current.forEach((block, entry) -> {
                        if (current.gen(block) == VolumeState.BASE_GEN) {
                            current.relabel(block, w.gen);
                        }
                        return 0;
                    });
                    journal.dirty(current);
                    ws.recount();
                }
            }
            if ("cow".equals(s.mode)) {
                for (Catalog.VolumeRecord v : catalog.volumes.values()) {
                    if (v.id.equals(s.volumeId)) {
                        int successor = v.gen;
                        for (Catalog.SnapshotRecord y : catalog.snapshots.values()) {
                            if (id.equals(y.parent) && "cow".equals(y.mode) && v.id.equals(y.volumeId)) {
                                successor = y.gen;
                            }
                        }
                        // the blocks of its generation still in the volume now belong to the successor:
                        // relabel them in place (rather than keep an alias that every later record carries)
                        VolumeState vs = state(v.name);
                        Layer current = vs.top();
                        int from = s.gen;
                        int to = successor;
                        current.forEach((block, entry) -> {
                            if (vs.resolveGen(current.gen(block)) == from) {
                                current.relabel(block, to);
                            }
                            return 0;
                        });
                        journal.dirty(current);
                    }
                }
            }
            for (Catalog.SnapshotRecord x : catalog.snapshots.values()) {
                if (id.equals(x.base)) {
                    x.base = s.base;
                }
                if (id.equals(x.parent)) {
                    x.parent = s.parent;
                }
            }
            for (Catalog.VolumeRecord w : catalog.volumes.values()) {
                if (id.equals(w.base)) {
                    w.base = s.base;
                }
                if (id.equals(w.parent)) {
                    w.parent = s.parent;
                }
            }
            catalog.snapshots.remove(id);
            rw.writeLock().lock();
            try {
                for (VolumeState st : states.values()) {
                    if (st.stack().contains(own)) {
                        st.rebuild();
                    } else {
                        st.recount(); // generations may have been re-aliased
                    }
                }
                commit();
                dropLayer(own);
            } finally {
                rw.writeLock().unlock();
            }
            return null;
        });
    }

    /** Collapses the volume's chain into its own layer: afterwards its reads touch one layer. */
    public void flatten(String volumeName) {
        run(() -> {
            VolumeState state = state(volumeName);
            Catalog.VolumeRecord v = state.rec;
            Stack stack = state.stack();
            if (stack.depth() == 1) {
                return null;
            }
            Roaring64Bitmap all = new Roaring64Bitmap();
            for (Layer l : stack.layers) {
                l.forEach((block, entry) -> {
                    all.addLong(block);
                    return 0;
                });
            }
            String where = "volume " + v.name;
            if (state.cow()) {
                Layer current = stack.top();
                all.forEach(block -> {
                    if (!current.has(block)) {
                        int ordinal = state.resolver.find(block);
                        Layer from = stack.layers[ordinal];
                        copyBlock(from, block, current, VolumeState.BASE_GEN, where, scratch);
                        state.stats.blocksCopied.increment();
                    }
                });
                rw.writeLock().lock();
                try {
                    v.base = null;
                    state.rebuild();
                    commit();
                } finally {
                    rw.writeLock().unlock();
                }
            } else {
                Layer flat = Layer.empty(layersDir, newId("lay-"), v.blockSize, state.blocks, false);
                // Explicit zeros (discards) stay explicit: the next snapshot's changed-block list
                // must still name a block that held data in an earlier snapshot and is now zero.
                Roaring64Bitmap zeros = new Roaring64Bitmap();
                try (Layer.Bulk bulk = flat.new Bulk()) {
                    all.forEach(block -> {
                        int ordinal = state.resolver.find(block);
                        Layer from = stack.layers[ordinal];
                        long entry = from.entry(block);
                        if (Layer.isZero(entry)) {
                            zeros.addLong(block);
                        } else {
                            int crc = from.readSlot(entry, bulk.next());
                            if (crc != Layer.crcOf(entry)) {
                                throw new BlockDeviceException.Corrupt("%s, snapshot %s: block %d is damaged (stored CRC32C %08x, data has %08x)"
                                        .formatted(where, stack.owners[ordinal], block, Layer.crcOf(entry), crc));
                            }
                            bulk.add(block, crc, 0);
                            state.stats.blocksCopied.increment();
                        }
                    });
                }
                zeros.forEach(block -> flat.put(block, null, 0));
                journal.dirty(flat);
                Layer old = stack.top();
                rw.writeLock().lock();
                try {
                    layers.put(flat.id, flat);
                    v.layer = flat.id;
                    v.base = null;
                    state.rebuild();
                    layers.remove(flat.id);
                    commit();
                    dropLayer(old);
                } finally {
                    rw.writeLock().unlock();
                }
            }
            return null;
        });
    }

    /** Blocks that differ between two snapshots of one lineage (either may be the older one). */
    public ChangedBlocks diff(String fromSnapshotId, String toSnapshotId) {
        return run(() -> {
            Catalog.SnapshotRecord from = snapshotRecord(fromSnapshotId);
            Catalog.SnapshotRecord to = snapshotRecord(toSnapshotId);
            if (from.blockSize != to.blockSize) {
                throw unrelated(fromSnapshotId, toSnapshotId, "block sizes differ");
            }
            Roaring64Bitmap changed = new Roaring64Bitmap();
            if (from.id.equals(to.id)) {
                return new ChangedBlocks(from.blockSize, changed);
            }
            List<Catalog.SnapshotRecord> path = lineage(to, from.id);
            if (path == null) {
                path = lineage(from, to.id);
            }
            if (path == null) {
                throw unrelated(fromSnapshotId, toSnapshotId, "neither is an ancestor of the other");
            }
            for (Catalog.SnapshotRecord s : path) {
                materialize(s);
                layerOf(s).forEach((block, entry) -> {
                    changed.addLong(block);
                    return 0;
                });
            }
            return new ChangedBlocks(from.blockSize, changed);
        });
    }

    private static StoreException unrelated(String a, String b, String why) {
        return new StoreException(AmiforgeException.Kind.INVALID_INPUT, "InvalidSnapshot.Unrelated",
                "snapshots " + a + " and " + b + " are not in one lineage (" + why + ")");
    }

    /** The snapshots from {@code start} up its lineage to (excluding) {@code ancestor}, or null if it is not one. */
    private List<Catalog.SnapshotRecord> lineage(Catalog.SnapshotRecord start, String ancestor) {
        List<Catalog.SnapshotRecord> path = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        Catalog.SnapshotRecord cur = start;
        while (cur != null && seen.add(cur.id)) {
            if (cur.id.equals(ancestor)) {
                return path;
            }
            path.add(cur);
            cur = cur.parent == null ? null : catalog.snapshots.get(cur.parent);
        }
        return null;
    }

    /** The blocks stored in that one snapshot's layer (written since its parent). */
    public ChangedBlocks blocks(String snapshotId) {
        return run(() -> {
            Catalog.SnapshotRecord s = snapshotRecord(snapshotId);
            materialize(s);
            Roaring64Bitmap bitmap = new Roaring64Bitmap();
            layerOf(s).forEach((block, entry) -> {
                bitmap.addLong(block);
                return 0;
            });
            return new ChangedBlocks(s.blockSize, bitmap);
        });
    }

    /** Reads every stored block and checks its CRC32C; reports each damaged snapshot/volume block. */
    public VerifyReport verify() {
        return run(() -> {
            List<VerifyReport.Damage> damage = new ArrayList<>();
            long[] checked = {0};
            for (Catalog.SnapshotRecord s : catalog.snapshots.values()) {
                checkLayer(layerOf(s), s.id, null, damage, checked);
            }
            for (Catalog.VolumeRecord v : catalog.volumes.values()) {
                checkLayer(state(v.name).top(), null, v.name, damage, checked);
            }
            return new VerifyReport(checked[0], List.copyOf(damage));
        });
    }

    private void checkLayer(Layer layer, String snapshotId, String volume, List<VerifyReport.Damage> damage, long[] checked) {
        for (String problem : layer.openDamage) {
            damage.add(new VerifyReport.Damage(snapshotId, volume, -1, problem));
        }
        MemorySegment buf = scratch.asSlice(0, layer.blockSize);
        layer.forEach((block, entry) -> {
            if (!Layer.isZero(entry)) {
                checked[0]++;
                int crc = layer.readSlot(entry, buf);
                if (crc != Layer.crcOf(entry)) {
                    damage.add(new VerifyReport.Damage(snapshotId, volume, block,
                            "stored CRC32C %08x, data has %08x".formatted(Layer.crcOf(entry), crc)));
                }
            }
            return 0;
        });
    }

    /**
     * Creates a snapshot directly from {@code blocksPresent} blocks of {@code layerContents}
     * (importing qcow2 chains, copying between stores); its parent must be in this store.
     */
    public SnapshotInfo importSnapshot(SnapshotInfo parentInThisStore, BlockDevice layerContents,
            Roaring64Bitmap blocksPresent, String description) {
        return run(() -> {
            Catalog.SnapshotRecord parent = null;
            if (parentInThisStore != null) {
                parent = catalog.snapshots.get(parentInThisStore.id());
                if (parent == null) {
                    throw new StoreException(AmiforgeException.Kind.NOT_FOUND, "InvalidSnapshot.NotFound",
                            "parent snapshot " + parentInThisStore.id() + " is not in store " + dir);
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
            Catalog.SnapshotRecord s = new Catalog.SnapshotRecord();
            s.id = newId("snap-");
            s.volume = "";
            s.volumeId = "";
            s.parent = parent == null ? null : parent.id;
            s.base = s.parent;
            s.layer = newId("lay-");
            s.size = size;
            s.blockSize = bs;
            s.description = description == null ? "" : description;
            s.created = Instant.now();
            s.mode = "row";
            s.materialized = true;
            // (the bitmap orders blocks as unsigned numbers: a negative one sorts last)
            if (!blocksPresent.isEmpty() && (blocksPresent.first() < 0 || blocksPresent.last() < 0
                    || blocksPresent.last() >= blocks)) {
                long bad = blocksPresent.first() < 0 ? blocksPresent.first() : blocksPresent.last();
                throw StoreException.invalid("block " + bad + " is outside layer " + layerContents.name()
                        + " (" + blocks + " blocks)");
            }
            Layer layer = Layer.empty(layersDir, s.layer, bs, blocks, false);
            final int blockSize = bs;
            var it = blocksPresent.getLongIterator();
            try (Layer.Bulk bulk = layer.new Bulk()) {
                while (it.hasNext()) {
                    long block = it.next();
                    MemorySegment buf = bulk.next();
                    layerContents.read(block * blockSize, buf);
                    bulk.add(block, Layer.crc(buf), 0);
                }
            }
            layers.put(layer.id, layer);
            journal.dirty(layer);
            catalog.snapshots.put(s.id, s);
            commit();
            return info(s);
        });
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        journal.call(() -> {
            journal.forceAll();
            syncCatalog();
            return null;
        });
        journal.close();
        rw.writeLock().lock();
        try {
            closed = true;
            for (Layer l : layers.values()) {
                l.close();
            }
            for (VolumeState st : states.values()) {
                st.top().close();
            }
        } finally {
            rw.writeLock().unlock();
        }
        try {
            closeLog();
        } catch (IOException ignored) {
            // everything in it was saved in the catalog above
        }
        release(lockChannel, lock);
    }

    // ---- internals (journal thread) --------------------------------------------------------

    private static void checkName(String name) {
        if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}")) {
            throw StoreException.invalid("volume name '" + name + "' must be 1-128 of A-Z a-z 0-9 . _ - (starting alphanumeric)");
        }
    }

    /** {@code prefix} + 17 lowercase hex digits (68 random bits), as EC2 ids look. */
    String newId(String prefix) {
        long a = ids.nextLong();
        int b = ids.nextInt(16);
        char[] out = new char[prefix.length() + 17];
        prefix.getChars(0, prefix.length(), out, 0);
        for (int i = 0; i < 16; i++) {
            out[prefix.length() + i] = HEX[(int) (a >>> (60 - 4 * i)) & 15];
        }
        out[out.length - 1] = HEX[b];
        return new String(out);
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Catalog.VolumeRecord volumeRecord(String name) {
        Catalog.VolumeRecord v = catalog.volumes.get(name);
        if (v == null) {
            throw StoreException.volumeNotFound(name);
        }
        return v;
    }

    private Catalog.SnapshotRecord snapshotRecord(String id) {
        Catalog.SnapshotRecord s = id == null ? null : catalog.snapshots.get(id);
        if (s == null) {
            throw StoreException.snapshotNotFound(id);
        }
        return s;
    }

    VolumeState state(String name) {
        VolumeState st = states.get(name);
        if (st == null) {
            Catalog.VolumeRecord v = volumeRecord(name);
            st = new VolumeState(this, v, volumeStack(v));
            states.put(name, st);
        }
        return st;
    }

    /** The layers a volume reads through: its base snapshot's chain and its own layer on top. */
    Stack volumeStack(Catalog.VolumeRecord v) {
        Stack below = v.base == null ? new Stack(new Layer[0], new String[0], v.size / v.blockSize) : snapshotStack(v.base);
        VolumeState existing = states.get(v.name);
        Layer top;
        if (existing != null && existing.top().id.equals(v.layer)) {
            top = existing.top();
        } else {
            top = layers.remove(v.layer);
            if (top == null) {
                top = Layer.open(layersDir, v.layer, v.blockSize, v.size / v.blockSize, VolumeStrategies.inPlace(v));
            }
        }
        return below.push(top, null);
    }

    /** The layers of a snapshot's full view, bottom first; copy-on-write snapshots in it are completed first. */
    Stack snapshotStack(String id) {
        List<Catalog.SnapshotRecord> chain = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        String cur = id;
        while (cur != null) {
            if (!seen.add(cur)) {
                throw StoreException.corrupt("store " + dir + ": snapshot chain of " + id + " loops at " + cur);
            }
            Catalog.SnapshotRecord s = catalog.snapshots.get(cur);
            if (s == null) {
                throw StoreException.corrupt("store " + dir + ": snapshot " + id + " needs parent " + cur + ", which is missing");
            }
            chain.add(s);
            cur = s.base;
        }
        Layer[] ls = new Layer[chain.size()];
        String[] owners = new String[chain.size()];
        for (int i = 0; i < chain.size(); i++) {
            Catalog.SnapshotRecord s = chain.get(chain.size() - 1 - i);
            materialize(s);
            ls[i] = layerOf(s);
            owners[i] = s.id;
        }
        Catalog.SnapshotRecord head = chain.getFirst();
        return new Stack(ls, owners, head.size / head.blockSize);
    }

    Layer layerOf(Catalog.SnapshotRecord s) {
        Layer l = layers.get(s.layer);
        if (l == null) {
            l = Layer.open(layersDir, s.layer, s.blockSize, s.size / s.blockSize, false);
            layers.put(s.layer, l);
        }
        return l;
    }

    /** The copy-on-write snapshot of volume {@code volumeId} that owns generation {@code gen}, or null. */
    Catalog.SnapshotRecord cowSnapshotOf(String volumeId, int gen) {
        for (Catalog.SnapshotRecord s : catalog.snapshots.values()) {
            if (s.gen == gen && "cow".equals(s.mode) && volumeId.equals(s.volumeId)) {
                return s;
            }
        }
        return null;
    }

    /** The blocks of a copy-on-write snapshot still living in its volume's current layer. */
    private Roaring64Bitmap pending(Catalog.SnapshotRecord s) {
        Roaring64Bitmap out = new Roaring64Bitmap();
        VolumeState st = owningState(s);
        if (st == null) {
            return out;
        }
        Layer current = st.top();
        Layer own = layerOf(s);
        current.forEach((block, entry) -> {
            if (st.resolveGen(current.gen(block)) == s.gen && !own.has(block)) {
                out.addLong(block);
            }
            return 0;
        });
        return out;
    }

    private VolumeState owningState(Catalog.SnapshotRecord s) {
        if (!"cow".equals(s.mode) || s.materialized) {
            return null;
        }
        for (Catalog.VolumeRecord v : catalog.volumes.values()) {
            if (v.id.equals(s.volumeId)) {
                return state(v.name);
            }
        }
        return null;
    }

    /** Copies a copy-on-write snapshot's blocks still in its volume's current layer into its own layer. */
    void materialize(Catalog.SnapshotRecord s) {
        if (s.materialized) {
            return;
        }
        VolumeState st = owningState(s);
        if (st != null) {
            Layer own = layerOf(s);
            Layer current = st.top();
            pending(s).forEach(block -> {
                copyBlock(current, block, own, 0, "volume " + st.rec.name, scratch);
                st.stats.blocksCopied.increment();
            });
        }
        s.materialized = true;
    }

    private void materializeAllOf(Catalog.VolumeRecord v) {
        for (Catalog.SnapshotRecord s : catalog.snapshots.values()) {
            if (v.id.equals(s.volumeId)) {
                materialize(s);
            }
        }
        commit();
    }

    /** Copies one block (data or explicit zero) from one layer to another, checking its CRC. */
    void copyBlock(Layer from, long block, Layer to, int gen, String where, MemorySegment buffer) {
        long entry = from.entry(block);
        if (entry == 0) {
            return;
        }
        if (Layer.isZero(entry)) {
            to.put(block, null, gen);
        } else {
            MemorySegment buf = buffer.asSlice(0, from.blockSize);
            int crc = from.readSlot(entry, buf);
            if (crc != Layer.crcOf(entry)) {
                throw new BlockDeviceException.Corrupt("%s: block %d is damaged (stored CRC32C %08x, data has %08x)"
                        .formatted(where, block, Layer.crcOf(entry), crc));
            }
            to.put(block, buf, gen);
        }
        journal.dirty(to);
    }

    private void dropLayer(Layer layer) {
        journal.forget(layer);
        layers.remove(layer.id);
        layer.delete();
    }

    /** fsyncs every written layer, then commits the catalog atomically. Returns catalog bytes written. */
    private int commit() {
        Runnable sync = journal.afterForce;
        journal.afterForce = null;
        try {
            journal.forceAll();
        } finally {
            journal.afterForce = sync;
        }
        return saveCatalog();
    }

    /** Saves the whole catalog durably, starting a fresh log; the old log is then dropped. */
    private int saveCatalog() {
        long oldGeneration = catalog.logGeneration;
        catalog.logGeneration = oldGeneration + 1;
        int bytes = catalog.save(catalogPath);
        catalogUnsynced = false;
        try {
            closeLog();
            Files.deleteIfExists(logPath(dir, oldGeneration));
            openLog(); // created (and pre-zeroed) now, so that a snapshot only rewrites cached pages
        } catch (IOException e) {
            throw new BlockDeviceException.Io(dir.toString(), "drop catalog log", e);
        }
        return bytes;
    }

    private void openLog() throws IOException {
        log = FileChannel.open(logPath(dir, catalog.logGeneration), StandardOpenOption.CREATE,
                StandardOpenOption.READ, StandardOpenOption.WRITE);
        logLength = logEnd(log);
        logAllocated = log.size();
        growLog(Math.max(LOG_CHUNK, logLength + LOG_CHUNK / 2));
    }

    /**
     * Pre-writes zeros up to {@code size} and maps the log read-write: an append is then a copy
     * into cached pages (no system call, no file-system journal handle for the size or the
     * modification time), which is what keeps a snapshot in the tens of microseconds. A killed
     * process leaves the pages in the page cache; a torn batch has no valid commit line.
     */
    private void growLog(long size) throws IOException {
        if (size > logAllocated) {
            ByteBuffer zeros = ByteBuffer.allocate((int) (size - logAllocated));
            while (zeros.hasRemaining()) {
                log.write(zeros, logAllocated + zeros.position());
            }
            logAllocated = size;
        }
        if (logArena != null) {
            logArena.close();
        }
        logArena = Arena.ofShared();
        logMap = log.map(FileChannel.MapMode.READ_WRITE, 0, logAllocated, logArena);
    }

    private void closeLog() throws IOException {
        if (logArena != null) {
            logArena.close();
            logArena = null;
            logMap = null;
        }
        if (log != null) {
            log.close();
            log = null;
        }
    }

    /** Where the log's text ends (it is followed by pre-written zeros). */
    private static long logEnd(FileChannel channel) throws IOException {
        long size = channel.size();
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(size, 1 << 24));
        while (buf.hasRemaining() && channel.read(buf, buf.position()) >= 0) {
            // read the whole (small) log
        }
        for (int i = 0; i < buf.position(); i++) {
            if (buf.get(i) == 0) {
                return i;
            }
        }
        return buf.position();
    }

    /** Appends one batch of record lines to the current catalog log (no fsync). Returns bytes written. */
    private int appendLog(String lines) {
        byte[] batch = Catalog.logBatch(lines);
        try {
            if (log == null) {
                openLog();
            }
            if (logLength + batch.length > logAllocated) {
                growLog(logAllocated + Math.max(LOG_CHUNK, batch.length));
            }
            MemorySegment.copy(batch, 0, logMap, java.lang.foreign.ValueLayout.JAVA_BYTE, logLength, batch.length);
            logLength += batch.length;
        } catch (IOException e) {
            throw new BlockDeviceException.Io(dir.toString(), "append to catalog log", e);
        }
        return batch.length;
    }

    /** Makes a lazily committed catalog durable (journal thread, after the layers were fsynced). */
    private void syncCatalog() {
        if (catalogUnsynced) {
            saveCatalog();
        }
    }
}
