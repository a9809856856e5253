package io.amiforge.store;

import io.amiforge.blockdev.BlockDeviceException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.roaringbitmap.longlong.Roaring64Bitmap;

/**
 * The read resolver: which layers a volume or a snapshot reads through ({@link Stack}s), the
 * open snapshot layers, and the completion of copy-on-write snapshots (copying their blocks
 * still in the volume into their own layer). Journal thread only.
 *
 * <p>Snapshot layers are opened once and kept. When another process changes a snapshot's layer
 * (a merge by a snapshot delete) or deletes it, the {@link CatalogLog} reports it and the open
 * layer is retired: devices already reading through it keep their open files (the old contents
 * stay readable), new stacks open the layer again. Retired layers are closed with the store.
 */
final class ChainResolver {

    private final SnapshotStore store;
    private final Path layersDir;
    private final Map<String, Layer> layers = new HashMap<>();
    private final List<Layer> retired = new ArrayList<>();
    /** Layers a pack of this process replaced that an open snapshot device still reads through. */
    private final List<Layer> replacedInUse = new ArrayList<>();
    /** The snapshot devices open in this process. */
    private final Set<SnapshotDevice> devices = Collections.newSetFromMap(new IdentityHashMap<>());
    /** The mappings of pack files, shared by the packed layers linking them. */
    private final PackMappings packs = new PackMappings();
    private final MemorySegment scratch = Arena.ofAuto().allocate(VolumeOptions.MAX_BLOCK_SIZE, 4096);
    /** Layers frozen by snapshots whose files are still open ({@link #frozen}). */
    private final List<Layer> frozenOpen = new ArrayList<>();

    ChainResolver(SnapshotStore store, Path layersDir) {
        this.store = store;
        this.layersDir = layersDir;
    }

    Path layersDir() {
        return layersDir;
    }

    /** A block-sized scratch buffer of the journal thread. */
    MemorySegment scratch() {
        return scratch;
    }

    /** The layers a volume reads through: its base snapshot's chain and its own layer on top (the volume's lock is held). */
    Stack volumeStack(Catalog.VolumeRecord v, VolumeState existing) {
        Stack below = v.base == null ? new Stack(new Layer[0], new String[0], v.size / v.blockSize) : snapshotStack(v.base);
        Layer top;
        if (existing != null && existing.top().id.equals(v.layer)) {
            top = existing.top();
        } else {
            top = layers.remove(v.layer);
            if (top == null) {
                top = Layer.open(store.fileOps, layersDir, v.layer, v.blockSize, v.size / v.blockSize, VolumeStrategies.inPlace(v), true);
            }
        }
        return below.push(top, null);
    }

    /** The layers of a snapshot's full view, bottom first; copy-on-write snapshots in it are completed first. */
    Stack snapshotStack(String id) {
        Catalog catalog = store.catalog;
        List<Catalog.SnapshotRecord> chain = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        String cur = id;
        while (cur != null) {
            if (!seen.add(cur)) {
                throw StoreException.corrupt("store " + store.directory() + ": snapshot chain of " + id + " loops at " + cur);
            }
            Catalog.SnapshotRecord s = catalog.snapshots.get(cur);
            if (s == null) {
                throw StoreException.corrupt("store " + store.directory() + ": snapshot " + id + " needs parent " + cur
                        + ", which is missing");
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

    /**
     * The layers of snapshot {@code id}'s view taken from the stack of open volume {@code volume}
     * built on it, or null when this process does not hold that volume or the volume is not built
     * on the snapshot. Looks down the volume's stack from its top for the snapshot (a compare per
     * layer) and copies the references below it; unlike {@link #snapshotStack} it walks no
     * catalog records and completes no copy-on-write snapshot: check each layer used with
     * {@link #current}.
     */
    Stack snapshotStackFromVolume(String volume, String id) {
        if (!store.volumes.holds(volume)) {
            return null;
        }
        Stack stack = store.volumes.state(volume).stack();
        for (int i = stack.depth() - 2; i >= 0; i--) {
            if (id.equals(stack.owners[i])) {
                Catalog.SnapshotRecord s = store.catalog.snapshots.get(id);
                return s == null ? null : stack.bottom(i + 1, s.size / s.blockSize);
            }
        }
        return null;
    }

    /**
     * Whether {@code layer} is the open layer of snapshot {@code s} and holds all its blocks
     * (a complete copy-on-write snapshot or a frozen one): a stack taken earlier still reads
     * through the right layer at this ordinal. O(1).
     */
    boolean current(Catalog.SnapshotRecord s, Layer layer) {
        return s != null && s.materialized && layer.id.equals(s.layer) && layers.get(s.layer) == layer;
    }

    /** The (open) layer of a snapshot. */
    Layer layerOf(Catalog.SnapshotRecord s) {
        Layer l = layers.get(s.layer);
        if (l == null) {
            l = Layer.open(store.fileOps, layersDir, s.layer, s.blockSize, s.size / s.blockSize, false, false, packs);
            layers.put(s.layer, l);
        }
        return l;
    }

    /** Opens the layer {@code id} of a snapshot of {@code blockSize} and {@code blocks}, and reads its index (any thread; not kept). */
    Layer openLoaded(String id, int blockSize, long blocks) {
        Layer l = Layer.open(store.fileOps, layersDir, id, blockSize, blocks, false, false, packs);
        l.blockCount(); // reads the index now
        return l;
    }

    /** Keeps {@code layer} open as a snapshot's layer (a frozen volume layer, an imported one). */
    void adopt(Layer layer) {
        layers.put(layer.id, layer);
    }

    /**
     * A snapshot froze {@code layer} (it was a volume's writable layer): its files are closed
     * ({@link Layer#closeFiles}) at the next group commit ({@link #closeFrozenFiles}), or, when
     * more than {@value #FROZEN_OPEN_MAX} frozen layers keep theirs open (snapshots without a
     * flush between), the oldest {@value #CLOSE_STEP} of them now: a process holds a bounded number
     * of descriptors (two per frozen layer) however many snapshots it takes. With every frozen
     * layer's files open, 10,000 snapshots in one process ran out of descriptors (EMFILE).
     * Closing waits for the reads in progress (the exclusive section) and costs about 14 µs a
     * layer: a few at a time, not all at once on one snapshot's latency.
     */
    void frozen(Layer layer) {
        frozenOpen.add(layer);
        if (frozenOpen.size() > FROZEN_OPEN_MAX) {
            List<Layer> oldest = frozenOpen.subList(0, CLOSE_STEP);
            store.exclusive(() -> oldest.forEach(Layer::closeFiles));
            oldest.clear();
        }
    }

    /** Closes the files of every frozen layer that keeps them open (after a group commit: journal thread). */
    void closeFrozenFiles() {
        if (!frozenOpen.isEmpty()) {
            store.exclusive(() -> frozenOpen.forEach(Layer::closeFiles));
            frozenOpen.clear();
        }
    }

    /** How many frozen layers keep their files open at most (see {@link #frozen}). */
    static final int FROZEN_OPEN_MAX = 256;
    /** How many of them one snapshot closes when there are more. */
    private static final int CLOSE_STEP = 8;

    /** Forgets the open layer of a volume that became the top of a volume again (rebuild after flatten). */
    void release(Layer layer) {
        layers.remove(layer.id);
    }

    /** Another process changed or deleted these snapshot layers: the open ones are stale for new stacks. */
    void retire(Set<String> layerIds) {
        for (String id : layerIds) {
            Layer l = layers.remove(id);
            if (l != null) {
                store.journal.forget(l);
                retired.add(l);
            }
        }
    }

    /**
     * The blocks of a copy-on-write snapshot still living in its volume's current layer. When
     * another process holds the volume, its current layer is read as it is on disk now.
     */
    Roaring64Bitmap pending(Catalog.SnapshotRecord s) {
        Roaring64Bitmap out = new Roaring64Bitmap();
        Catalog.VolumeRecord v = owner(s);
        if (v == null) {
            return out;
        }
        VolumeState st = store.volumes.stateIfFree(v.name);
        Layer current = st != null ? st.top()
                : Layer.open(store.fileOps, layersDir, v.layer, v.blockSize, v.size / v.blockSize, true, false);
        try {
            Layer own = layerOf(s);
            current.forEachUnordered((block, entry) -> {
                if (VolumeState.resolveGen(v, current.gen(block)) == s.gen && !own.has(block)) {
                    out.addLong(block);
                }
                return 0;
            });
        } finally {
            if (st == null) {
                current.close();
            }
        }
        return out;
    }

    /** The volume whose current layer still holds blocks of copy-on-write snapshot {@code s}, or null. */
    private Catalog.VolumeRecord owner(Catalog.SnapshotRecord s) {
        if (!"cow".equals(s.mode) || s.materialized) {
            return null;
        }
        return store.catalog.volumeById(s.volumeId);
    }

    /**
     * Copies a copy-on-write snapshot's blocks still in its volume's current layer into its own
     * layer. Needs the volume: fails with {@code StoreLocked} if another process has it open.
     */
    void materialize(Catalog.SnapshotRecord s) {
        if (s.materialized) {
            return;
        }
        Catalog.VolumeRecord v = owner(s);
        if (v != null) {
            VolumeState st = store.volumes.state(v.name);
            Layer own = layerOf(s);
            Layer current = st.top();
            pending(s).forEach(block -> {
                copyBlock(current, block, own, 0, "volume " + st.rec.name, scratch);
                st.stats.blocksCopied.increment();
            });
        }
        s.materialized = true;
        store.catalog.touch(s);
    }

    /** Completes every copy-on-write snapshot of volume {@code v}. */
    void materializeAllOf(Catalog.VolumeRecord v) {
        for (Catalog.SnapshotRecord s : store.catalog.snapshots.values()) {
            if (v.id.equals(s.volumeId)) {
                materialize(s);
            }
        }
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
        store.journal.dirty(to);
    }

    /**
     * A layer this process replaced (by a pack; its volumes were moved onto the successor), at
     * {@code ordinal} of every stack holding it: its files are deleted now ({@code deleteFiles};
     * else the packer deletes them once the commit is durable), and it is closed now (its mapping
     * given back; by the caller, off this thread, when {@code toClose} is not null: it is added
     * there) unless an open snapshot device still reads through it; then when the last such
     * device closes. O(open devices).
     */
    void replaced(Layer layer, int ordinal, boolean deleteFiles, List<Layer> toClose) {
        store.journal.forget(layer);
        if (layers.get(layer.id) == layer) {
            layers.remove(layer.id);
        }
        if (deleteFiles) {
            layer.deleteFiles();
        }
        if (inUse(layer, ordinal)) {
            replacedInUse.add(layer);
        } else if (toClose != null) {
            toClose.add(layer);
        } else {
            layer.close();
        }
    }

    /** A snapshot device was opened (journal thread). */
    void deviceOpened(SnapshotDevice device) {
        devices.add(device);
    }

    /** A snapshot device was closed (journal thread): the replaced layers only it read through are closed. */
    void deviceClosed(SnapshotDevice device) {
        if (devices.remove(device)) {
            replacedInUse.removeIf(l -> {
                if (inUse(l)) {
                    return false;
                }
                l.close();
                return true;
            });
        }
    }

    /** As {@link #inUse(Layer)} for a layer every stack holding it holds at {@code ordinal}: one look per device. */
    private boolean inUse(Layer layer, int ordinal) {
        for (SnapshotDevice d : devices) {
            if (d.stack().holds(ordinal, layer)) {
                return true;
            }
        }
        return false;
    }

    /** Whether an open snapshot device reads through {@code layer}. O(open devices x depth). */
    private boolean inUse(Layer layer) {
        for (SnapshotDevice d : devices) {
            if (d.stack().contains(layer)) {
                return true;
            }
        }
        return false;
    }

    /** Deletes a layer's files (its snapshot or volume is gone). */
    void dropLayer(Layer layer) {
        store.journal.forget(layer);
        layers.remove(layer.id);
        layer.delete();
    }

    /** Closes every open snapshot layer (store close). */
    void closeAll() {
        for (Layer l : layers.values()) {
            l.close();
        }
        for (Layer l : retired) {
            l.close();
        }
        for (Layer l : replacedInUse) {
            l.close();
        }
        layers.clear();
        retired.clear();
        replacedInUse.clear();
        devices.clear();
    }
}
