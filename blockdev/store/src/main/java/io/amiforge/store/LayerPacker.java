package io.amiforge.store;

import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.store.spi.FileOps;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.roaringbitmap.longlong.Roaring64Bitmap;

/**
 * Packs the small layers of a snapshot's chain into one pack file, so that depth no longer means
 * file count and an ordered read of the chain streams one file instead of jumping between a
 * thousand. The pack is laid out for the chain's top: first the blocks that the top snapshot's
 * view reads from the packed layers, in block order; then every other (shadowed) version in
 * block order, newest first, which the snapshots lower in the chain read. Each packed layer gets
 * a new id whose index names slots in the pack and whose data file is a hard link to it (so the
 * pack's space is returned when the last layer linking it is deleted); a small layer is one
 * holding at most {@link #SMALL_BYTES}.
 *
 * <p>Copy-on-pack, crash-safe: the pack (data checked against every block's CRC32C as it is
 * copied) and the new index files are written and fsynced, the links made and the directory
 * fsynced; one catalog commit then points every packed snapshot at its new layer; only then are
 * the old files deleted. A crash before the commit leaves the old layers (the new files are
 * unnamed: the next pack deletes them), after it the new ones (the list of replaced layers,
 * written durably before the commit, tells the next pack which old files to delete). Volumes of
 * this process reading through the chain swap in the new layers and patch their read index for
 * the packed blocks ({@link VolumeState#relayer}); a volume another process has open on it
 * makes the pack fail with {@code StoreLocked}. Before its first commit the store's {@code FORMAT}
 * becomes version 3, which an amiforge that does not know packs refuses. Journal thread, catalog
 * lock held.
 */
final class LayerPacker {

    /** A snapshot layer holding at most this many bytes of block data is packed. */
    static final long SMALL_BYTES = 64L << 20;
    /** Id prefix of packed layers (files with it that no record names are leftovers of a crashed pack). */
    static final String PREFIX = "lpk-";
    private static final String PACK = ".pack";
    private static final String REPLACED = ".replaced";
    private static final int BATCH = 4 << 20;
    private static final int ORDINAL_BITS = 16;
    private static final long SHADOWED = 1L << 62;
    private static final long BLOCK_MASK = (1L << (62 - ORDINAL_BITS)) - 1;

    private final SnapshotStore store;
    private final Catalog catalog;
    private final ChainResolver chains;
    private final VolumeWriter volumes;
    private final FileOps io;
    private final Path dir;

    LayerPacker(SnapshotStore store) {
        this.store = store;
        this.catalog = store.catalog;
        this.chains = store.chains;
        this.volumes = store.volumes;
        this.io = store.fileOps;
        this.dir = store.chains.layersDir();
    }

    /** Packs every small layer of {@code snapshotId}'s chain now (the explicit {@link SnapshotStore#pack}). */
    PackReport pack(String snapshotId) {
        catalog.snapshot(snapshotId); // NotFound before anything else
        sweep();
        Job job = chooseAll(snapshotId);
        if (job == null) {
            return new PackReport(0, 0, 0);
        }
        List<StoreLock> locks = lockVolumesOn(job.snapshots);
        try {
            prepare(job, NEVER);
            write(job, NEVER);
            PackReport report = commit(job, true, locks);
            return report == null ? new PackReport(0, 0, 0) : report;
        } finally {
            unlock(locks);
        }
    }

    /**
     * One pack of some layers of one chain: chosen on the journal thread ({@link #chooseAll},
     * {@link #chooseTop}), its pack and index files written anywhere ({@link #prepare},
     * {@link #write}: the chosen layers are immutable while no {@code deleteSnapshot} merges into
     * them), committed on the journal thread ({@link #commit}), which first checks that the chain
     * is still what was chosen.
     */
    static final class Job {
        final String snapshotId;
        final Stack stack;
        final boolean[] take;
        final int[] counts;
        final int taken;
        final int lowest;
        final long entries;
        final Set<String> snapshots = new HashSet<>();
        final String packId = Catalog.newId("pack-");
        final String[] newIds;
        /** The new layers, opened with their index read off the journal thread (automatic packs), or null. */
        final Layer[] newLayers;
        /** Old layers the commit left for the caller to close (off the journal thread). */
        final List<Layer> toClose = new ArrayList<>();
        long[] order;
        ByteBuffer[] indexes;

        /** Per chosen ordinal, the block count of its snapshot's volume (what its layer is opened with). */
        final long[] volumeBlocks;

        Job(String snapshotId, Stack stack, boolean[] take, Catalog catalog) {
            this.snapshotId = snapshotId;
            this.stack = stack;
            this.take = take;
            int depth = stack.depth();
            this.counts = new int[depth];
            this.newIds = new String[depth];
            this.newLayers = new Layer[depth];
            this.volumeBlocks = new long[depth];
            int n = 0;
            int low = depth;
            long e = 0;
            for (int i = 0; i < depth; i++) {
                if (take[i]) {
                    counts[i] = (int) stack.layers[i].blockCount();
                    newIds[i] = Catalog.newId(PREFIX);
                    snapshots.add(stack.owners[i]);
                    Catalog.SnapshotRecord r = catalog.snapshots.get(stack.owners[i]);
                    volumeBlocks[i] = r.size / r.blockSize;
                    n++;
                    low = Math.min(low, i);
                    e += counts[i];
                }
            }
            this.taken = n;
            this.lowest = low;
            this.entries = e;
        }
    }

    /** Says, while a pack is written, whether to give it up (its chain is about to change). */
    @FunctionalInterface
    interface Stop {
        boolean now();
    }

    private static final Stop NEVER = () -> false;

    /** Thrown out of {@link #prepare} / {@link #write} when {@link Stop#now} said so; nothing is left behind. */
    static final class Stopped extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Stopped() {
            super("pack given up: its chain is changing", null, false, false);
        }
    }

    /**
     * Every small layer of the chain (null: fewer than two, or all already in one pack). Journal
     * thread, catalog lock held.
     */
    Job chooseAll(String snapshotId) {
        Stack stack = stackToPack(snapshotId);
        int depth = stack.depth();
        int blockSize = stack.top().blockSize;
        boolean[] take = new boolean[depth];
        int taken = 0;
        Object onePack = null;
        boolean allInOnePack = true;
        for (int i = 0; i < depth; i++) {
            Layer l = stack.layers[i];
            if (small(l, blockSize)) {
                take[i] = true;
                taken++;
                Object key = l.packed() ? l.dataFileKey() : null;
                allInOnePack &= key != null && (onePack == null || onePack.equals(key));
                onePack = key;
            }
        }
        return taken < 2 || allInOnePack ? null : checked(new Job(snapshotId, stack, take, catalog));
    }

    /**
     * The automatic choice (size-tiered, as an LSM tree merges runs): the unpacked small layers at
     * the top of the chain when there are at least {@code threshold} of them, together with each
     * pack right below that holds no more layers than everything chosen above it; never the layer
     * of a snapshot that another branch also builds on, nor any under it. A pack so
     * absorbed at least doubles, so a layer is copied at most log2(depth) times, and a chain
     * holds at most log2(depth) packs plus fewer than {@code threshold} unpacked small layers on
     * top. Null: nothing to do. Journal thread, catalog lock held.
     */
    Job chooseTop(String snapshotId, String volume, int threshold) {
        catalog.snapshot(snapshotId); // NotFound before anything else
        // the volume's own stack usually holds the snapshot just below its top: no O(depth) walk of the catalog
        Stack fromVolume = chains.snapshotStackFromVolume(volume, snapshotId);
        if (fromVolume != null) {
            Choice c = chooseTop(checkedSize(snapshotId, fromVolume), threshold);
            if (current(fromVolume, c.lowestLookedAt)) {
                return c.job(snapshotId, catalog);
            }
        }
        return chooseTop(stackToPack(snapshotId), threshold).job(snapshotId, catalog);
    }

    /** Whether every layer of {@code stack} from {@code lowest} up is its snapshot's current, complete layer. */
    private boolean current(Stack stack, int lowest) {
        for (int i = stack.depth() - 1; i >= lowest; i--) {
            if (!chains.current(catalog.snapshots.get(stack.owners[i]), stack.layers[i])) {
                return false;
            }
        }
        return true;
    }

    /** What {@link #chooseTop(Stack, int)} chose ({@code take} null: nothing), and the lowest ordinal it looked at. */
    private record Choice(Stack stack, boolean[] take, int lowestLookedAt) {
        Job job(String snapshotId, Catalog catalog) {
            return take == null ? null : checked(new Job(snapshotId, stack, take, catalog));
        }
    }

    private Choice chooseTop(Stack stack, int threshold) {
        int depth = stack.depth();
        int blockSize = stack.top().blockSize;
        boolean[] take = new boolean[depth];
        int chosen = 0;
        int i = depth - 1;
        for (; i >= 0; i--) {
            Layer l = stack.layers[i];
            if (l.blockCount() == 0) {
                continue;
            }
            if (!small(l, blockSize) || l.packed()) {
                break;
            }
            take[i] = true;
            chosen++;
        }
        if (chosen < threshold) {
            return new Choice(stack, null, Math.max(i, 0));
        }
        int lookedAt = Math.max(i, 0);
        while (i >= 0) {
            Object pack = stack.layers[i].dataFileKey();
            if (!small(stack.layers[i], blockSize) || !stack.layers[i].packed() || pack == null) {
                break;
            }
            int j = i;
            int run = 0;
            for (; j >= 0; j--) {
                Layer l = stack.layers[j];
                if (l.blockCount() == 0) {
                    continue;
                }
                if (!small(l, blockSize) || !l.packed() || !pack.equals(l.dataFileKey())) {
                    break;
                }
                run++;
            }
            lookedAt = Math.max(j, 0);
            if (run > chosen) {
                break;
            }
            for (int k = j + 1; k <= i; k++) {
                take[k] = stack.layers[k].blockCount() > 0;
            }
            chosen += run;
            i = j;
        }
        int branch = branchPoint(stack, take);
        if (branch >= 0) {
            // a snapshot other snapshots or volumes also build on: its layer and those under it are shared
            // with another branch; a pack laid out for this one would keep them (and its dead data) alive
            int unpacked = 0;
            for (int k = 0; k < depth; k++) {
                take[k] &= k > branch;
                unpacked += take[k] && !stack.layers[k].packed() ? 1 : 0;
            }
            if (unpacked < threshold) {
                return new Choice(stack, null, lookedAt);
            }
        }
        return new Choice(stack, take, lookedAt);
    }

    /**
     * The highest chosen ordinal whose snapshot has more than one snapshot or volume built on it
     * (a branch point), or -1. O(layers), from the counts the catalog keeps ({@link Catalog#builtOn}).
     */
    private int branchPoint(Stack stack, boolean[] take) {
        for (int k = take.length - 1; k >= 0; k--) {
            if (take[k] && catalog.builtOn(stack.owners[k]) > 1) {
                return k;
            }
        }
        return -1;
    }

    private Stack stackToPack(String snapshotId) {
        catalog.snapshot(snapshotId); // NotFound before anything else
        return checkedSize(snapshotId, chains.snapshotStack(snapshotId));
    }

    private static Stack checkedSize(String snapshotId, Stack stack) {
        if (stack.depth() > 1 << ORDINAL_BITS || stack.blocks() > BLOCK_MASK) {
            throw StoreException.invalid("snapshot " + snapshotId + ": a chain of " + stack.depth() + " layers and "
                    + stack.blocks() + " blocks is too large to pack (at most " + (1 << ORDINAL_BITS) + " layers)");
        }
        return stack;
    }

    private static boolean small(Layer l, int blockSize) {
        long n = l.blockCount();
        return n > 0 && n * l.blockSize <= SMALL_BYTES && l.blockSize == blockSize;
    }

    private static Job checked(Job job) {
        if (job.entries > Integer.MAX_VALUE - 8) {
            throw StoreException.invalid("snapshot " + job.snapshotId + ": its chain's small layers hold " + job.entries
                    + " blocks, more than one pack takes (" + (Integer.MAX_VALUE - 8) + ")");
        }
        return job;
    }

    /**
     * Orders the blocks of the chosen layers for the pack: which version of each block the top
     * reads (top down, a block seen above is shadowed below). Reads only the stack's layers.
     */
    void prepare(Job job, Stop stop) {
        Stack stack = job.stack;
        int depth = stack.depth();
        long[] keys = new long[(int) job.entries];
        ByteBuffer[] indexes = new ByteBuffer[depth];
        ByteBuffer entry = ByteBuffer.allocate(IndexEntry.SIZE).order(ByteOrder.LITTLE_ENDIAN);
        Roaring64Bitmap seen = new Roaring64Bitmap();
        int n = 0;
        for (int i = depth - 1; i >= job.lowest; i--) {
            if (stop.now()) {
                throw new Stopped();
            }
            Layer l = stack.layers[i];
            if (!job.take[i]) {
                l.replay((block, value) -> seen.addLong(block));
                continue;
            }
            ByteBuffer idx = ByteBuffer.allocate(job.counts[i] * IndexEntry.SIZE).order(ByteOrder.LITTLE_ENDIAN);
            indexes[i] = idx;
            long ordinalBits = (1L << ORDINAL_BITS) - 1 - i;
            int[] k = {n};
            l.forEachUnordered((block, value) -> {
                if (Layer.isZero(value)) {
                    IndexEntry.encode(entry, block, value, 0, true);
                    idx.put(entry);
                } else {
                    keys[k[0]++] = (seen.contains(block) ? SHADOWED : 0) | block << ORDINAL_BITS | ordinalBits;
                }
                return 0;
            });
            n = k[0];
            l.replay((block, value) -> seen.addLong(block));
        }
        long[] order = Arrays.copyOf(keys, n);
        Arrays.sort(order);
        job.order = order;
        job.indexes = indexes;
    }

    /**
     * Writes the pack, the new layers' index files and their links to the pack (every block's
     * CRC32C checked as it is copied), and the list of the layers they replace, durably (the
     * directory fsynced last); nothing names them yet. On failure (or {@link Stopped}) deletes
     * what it wrote and rethrows.
     */
    void write(Job job, Stop stop) {
        Path packPath = dir.resolve(job.packId + PACK);
        StringBuilder replaced = new StringBuilder();
        try {
            writePack(job.stack, job.order, job.indexes, packPath, job.stack.layers[job.lowest].blockSize, stop);
            for (int i = 0; i < job.take.length; i++) {
                if (job.take[i]) {
                    if (stop.now()) {
                        throw new Stopped();
                    }
                    writeIndex(job.newIds[i], job.indexes[i]);
                    link(job.newIds[i], packPath);
                    replaced.append(job.stack.layers[i].id).append('\n');
                }
            }
            delete(packPath); // the layers' links hold the data now
            // what the next sweep deletes once no record names them (after a crash right after the commit)
            writeDurably(dir.resolve(job.packId + REPLACED), ByteBuffer.wrap(replaced.toString().getBytes(StandardCharsets.US_ASCII)));
            Catalog.fsyncDirectory(io, dir);
        } catch (RuntimeException e) {
            discard(job, e);
            throw e;
        }
    }

    /**
     * Points every packed snapshot at its new layer in one catalog commit, moves the volumes
     * reading through them onto the new layers (patching their read index) and deletes the old
     * layers' files; null (and the pack's files deleted) when the chain changed since
     * {@link #chooseTop} or the files are gone (another process's sweep). Journal thread, catalog lock held; the only fsync is the catalog commit's.
     *
     * <p>Not {@code durable} (an automatic pack): the records are appended to the catalog log
     * without fsync, as a snapshot is (atomic, survives the process dying), and the old layers'
     * files are left for {@link #deleteReplaced} once the catalog is durable (a power loss before
     * that brings the old records back, and their files are still there); nothing here waits for
     * the disk.
     */
    PackReport commit(Job job, boolean durable) {
        return commit(job, durable, null);
    }

    /** {@link #commit(Job, boolean)} with the locks of the volumes on the chain already taken ({@code locks}), or not (null). */
    private PackReport commit(Job job, boolean durable, List<StoreLock> locks) {
        List<StoreLock> taken = null;
        try {
            if (locks == null) {
                taken = lockVolumesOn(job.snapshots);
            }
        } catch (RuntimeException e) {
            // nothing names the new files yet: remove them now (what a crash leaves, the next pack's sweep removes)
            discard(job, e);
            throw e;
        }
        try {
            return commitLocked(job, durable);
        } finally {
            unlock(taken);
        }
    }

    private PackReport commitLocked(Job job, boolean durable) {
        Stack stack = job.stack;
        int depth = stack.depth();
        Path replacedPath = dir.resolve(job.packId + REPLACED);
        if (!Files.exists(replacedPath)) {
            discard(job, null);
            return null;
        }
        for (int i = 0; i < depth; i++) {
            if (job.take[i]) {
                Catalog.SnapshotRecord r = catalog.snapshots.get(stack.owners[i]);
                if (r == null || !stack.layers[i].id.equals(r.layer) || chains.layerOf(r) != stack.layers[i]
                        || stack.layers[i].blockCount() != job.counts[i]
                        || !Files.exists(dir.resolve(job.newIds[i] + ".idx")) || !Files.exists(dir.resolve(job.newIds[i] + ".dat"))) {
                    discard(job, null);
                    return null;
                }
            }
        }
        try {
            store.markPacked();
        } catch (RuntimeException e) {
            // nothing names the new files yet: remove them now (what a crash leaves, the next pack's sweep removes)
            discard(job, e);
            throw e;
        }

        store.exclusive(() -> {
            Layer[] replacement = new Layer[depth];
            for (int i = 0; i < depth; i++) {
                if (job.take[i]) {
                    Catalog.SnapshotRecord r = catalog.snapshots.get(stack.owners[i]);
                    r.layer = job.newIds[i];
                    catalog.touch(r);
                    if (job.newLayers[i] != null) {
                        chains.adopt(job.newLayers[i]); // opened and read off this thread
                        job.newLayers[i] = null;
                    }
                    replacement[i] = chains.layerOf(r);
                }
            }
            if (durable) {
                store.commit();
            } else {
                store.log.append(store.journal);
            }
            // committed (a failed commit leaves the volumes on the old layers, which are still there); no read of
            // this process is in progress (exclusive): each volume on the chain swaps in the new layers and patches
            // its read index for their blocks only, O(blocks packed) instead of rebuilding it, O(blocks of the chain)
            for (VolumeState st : volumes.all()) {
                st.relayer(stack, replacement);
            }
            for (int i = 0; i < depth; i++) {
                if (job.take[i]) {
                    chains.replaced(stack.layers[i], i, durable, durable ? null : job.toClose);
                }
            }
        });
        if (durable) {
            delete(replacedPath);
        }
        int blockSize = stack.layers[job.lowest].blockSize;
        return new PackReport(job.taken, job.order.length, (long) job.order.length * blockSize);
    }

    /**
     * Deletes the files of the layers a committed job replaced and its list of them (any thread;
     * only once the commit is durable: no record names them then, nor can one again).
     */
    void deleteReplaced(Job job) {
        for (int i = 0; i < job.take.length; i++) {
            if (job.take[i]) {
                delete(dir.resolve(job.stack.layers[i].id + ".dat"));
                delete(dir.resolve(job.stack.layers[i].id + ".idx"));
            }
        }
        delete(dir.resolve(job.packId + REPLACED));
    }

    /** Deletes what crashed packs left (see {@link #sweep}; journal thread, catalog lock held). */
    void sweepLeftovers() {
        sweep();
    }

    /**
     * Opens the job's new layers and reads their indexes (after {@link #write}, any thread), so
     * that the commit's patch of the volumes' read indexes does not read them on the journal thread.
     */
    void openNew(Job job) {
        for (int i = 0; i < job.take.length; i++) {
            if (job.take[i]) {
                Layer old = job.stack.layers[i];
                job.newLayers[i] = chains.openLoaded(job.newIds[i], old.blockSize, job.volumeBlocks[i]);
            }
        }
    }

    /** Closes what the job opened or left to close (any thread). */
    static void closeLayers(Job job) {
        for (int i = 0; i < job.newLayers.length; i++) {
            if (job.newLayers[i] != null) {
                job.newLayers[i].close();
                job.newLayers[i] = null;
            }
        }
        for (Layer l : job.toClose) {
            l.close();
        }
        job.toClose.clear();
    }

    /** Deletes the files a job wrote (nothing names them yet); a failure to is added to {@code failure} (or thrown). */
    void discard(Job job, RuntimeException failure) {
        closeLayers(job);
        try {
            delete(dir.resolve(job.packId + PACK));
            delete(dir.resolve(job.packId + REPLACED));
            for (String id : job.newIds) {
                if (id != null) {
                    delete(dir.resolve(id + ".idx"));
                    delete(dir.resolve(id + ".dat"));
                }
            }
        } catch (RuntimeException cleanup) {
            if (failure == null) {
                throw cleanup;
            }
            failure.addSuppressed(cleanup);
        }
    }

    /**
     * Takes the lock of every volume this process does not hold that reads through one of
     * {@code snapshots} (its chain changes: no other process may open it meanwhile), without
     * loading it; the caller gives them back ({@link #unlock}). A volume this process holds is
     * skipped; its state is moved onto the new layers by the commit. O(what is built on
     * {@code snapshots}, directly or not; {@link Catalog#forEachBuiltOn}), not O(volumes x depth).
     * Throws {@code StoreLocked} (nothing held) when another process holds one.
     */
    private List<StoreLock> lockVolumesOn(Set<String> snapshots) {
        List<StoreLock> locks = new ArrayList<>();
        try {
            for (Catalog.VolumeRecord v : volumesOn(snapshots)) {
                if (!volumes.holds(v.name)) {
                    locks.add(volumes.lockVolume(v.name));
                }
            }
        } catch (RuntimeException e) {
            unlock(locks);
            throw e;
        }
        return locks;
    }

    /** The volumes built on one of {@code snapshots} or on a snapshot built on one, directly or not. O(what is built on them). */
    private List<Catalog.VolumeRecord> volumesOn(Set<String> snapshots) {
        List<Catalog.VolumeRecord> found = new ArrayList<>();
        Set<String> seen = new HashSet<>(snapshots);
        ArrayDeque<String> next = new ArrayDeque<>(snapshots);
        while (!next.isEmpty()) {
            catalog.forEachBuiltOn(next.poll(), s -> {
                if (seen.add(s.id)) {
                    next.add(s.id);
                }
            }, found::add);
        }
        return found;
    }

    private static void unlock(List<StoreLock> locks) {
        if (locks != null) {
            locks.forEach(StoreLock::close);
        }
    }

    /**
     * Copies the blocks in {@code order} into the pack (slot = position), checking each CRC32C;
     * encodes their new entries. Asks {@code stop} once per batch.
     */
    private void writePack(Stack stack, long[] order, ByteBuffer[] indexes, Path packPath, int blockSize, Stop stop) {
        int perBatch = BATCH / blockSize;
        ByteBuffer entry = ByteBuffer.allocate(IndexEntry.SIZE).order(ByteOrder.LITTLE_ENDIAN);
        try (Arena arena = Arena.ofConfined()) {
            io.before(FileOps.Op.CREATE, packPath);
            try (FileChannel out = FileChannel.open(packPath, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                MemorySegment batch = arena.allocate((long) perBatch * blockSize, 4096);
                int filled = 0;
                long written = 0;
                for (int slot = 0; slot < order.length; slot++) {
                    long key = order[slot];
                    long block = (key >>> ORDINAL_BITS) & BLOCK_MASK;
                    int ordinal = (1 << ORDINAL_BITS) - 1 - (int) (key & ((1 << ORDINAL_BITS) - 1));
                    Layer from = stack.layers[ordinal];
                    long value = from.entry(block);
                    int crc = from.readSlot(value, batch.asSlice((long) filled * blockSize, blockSize));
                    if (crc != Layer.crcOf(value)) {
                        throw new BlockDeviceException.Corrupt("snapshot %s: block %d is damaged (stored CRC32C %08x, data has %08x); nothing was packed"
                                .formatted(stack.owners[ordinal], block, Layer.crcOf(value), crc));
                    }
                    IndexEntry.encode(entry, block, ((slot + 1L) << 32) | Integer.toUnsignedLong(crc), 0, true);
                    indexes[ordinal].put(entry);
                    if (++filled == perBatch || slot == order.length - 1) {
                        if (stop.now()) {
                            throw new Stopped();
                        }
                        ByteBuffer buf = batch.asSlice(0, (long) filled * blockSize).asByteBuffer();
                        io.before(FileOps.Op.WRITE, packPath);
                        while (buf.hasRemaining()) {
                            written += out.write(buf, written);
                        }
                        filled = 0;
                    }
                }
                io.before(FileOps.Op.FSYNC, packPath);
                out.force(true);
            }
        } catch (IOException e) {
            throw new BlockDeviceException.Io("pack " + packPath.getFileName(), "write", e);
        }
    }

    private void writeIndex(String id, ByteBuffer index) {
        index.flip();
        writeDurably(dir.resolve(id + ".idx"), index);
    }

    private void writeDurably(Path path, ByteBuffer bytes) {
        try {
            io.before(FileOps.Op.CREATE, path);
            try (FileChannel out = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                io.before(FileOps.Op.WRITE, path);
                long pos = 0;
                while (bytes.hasRemaining()) {
                    pos += out.write(bytes, pos);
                }
                io.before(FileOps.Op.FSYNC, path);
                out.force(true);
            }
        } catch (IOException e) {
            throw new BlockDeviceException.Io(path.getFileName().toString(), "write", e);
        }
    }

    private void link(String id, Path packPath) {
        Path data = dir.resolve(id + ".dat");
        try {
            io.before(FileOps.Op.CREATE, data);
            Files.createLink(data, packPath);
        } catch (IOException | UnsupportedOperationException e) {
            throw new BlockDeviceException.Io("layer " + id, "link to the pack " + packPath.getFileName()
                    + " (packing needs a file system with hard links)", e instanceof IOException io ? io : new IOException(e));
        }
    }

    private static void delete(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new BlockDeviceException.Io(path.getFileName().toString(), "delete", e);
        }
    }

    private void forceCatalogLog() throws IOException {
        Path log = CatalogLog.logPath(store.directory(), catalog.logGeneration);
        if (Files.exists(log)) {
            io.before(FileOps.Op.FSYNC, log);
            try (FileChannel c = FileChannel.open(log, StandardOpenOption.READ)) {
                c.force(false);
            }
        }
    }

    /**
     * Deletes what a crashed pack left: a pack file's name, packed layers no record names, and the
     * old layers a committed pack replaced (listed in its {@code .replaced} file) that no record names.
     */
    private void sweep() {
        Set<String> named = new HashSet<>();
        catalog.volumes.values().forEach(v -> named.add(v.layer));
        catalog.snapshots.values().forEach(s -> named.add(s.layer));
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.toList();
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            throw new BlockDeviceException.Io("store " + store.directory(), "list of the layers", e);
        }
        for (Path f : files) {
            String name = f.getFileName().toString();
            int dot = name.indexOf('.');
            String id = dot < 0 ? name : name.substring(0, dot);
            if (name.endsWith(PACK)) {
                delete(f);
            } else if (name.endsWith(REPLACED)) {
                try {
                    // the batch that replaced them may not be durable yet (an automatic pack commits without
                    // fsync): make the log durable first, whoever appended to it, or a power loss could bring
                    // back records naming the files deleted here
                    forceCatalogLog();
                    for (String old : Files.readAllLines(f, StandardCharsets.US_ASCII)) {
                        if (!old.isBlank() && !named.contains(old) && old.indexOf('/') < 0 && !old.startsWith(".")) {
                            delete(dir.resolve(old + ".dat"));
                            delete(dir.resolve(old + ".idx"));
                        }
                    }
                } catch (IOException e) {
                    throw new BlockDeviceException.Io(name, "read", e);
                }
                delete(f);
            } else if (id.startsWith(PREFIX) && !named.contains(id)) {
                delete(f);
            }
        }
    }
}
