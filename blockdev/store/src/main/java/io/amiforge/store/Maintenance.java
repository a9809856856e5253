package io.amiforge.store;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.store.spi.Location;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.roaringbitmap.longlong.Roaring64Bitmap;

/**
 * The operations that rework existing layers: delete a snapshot (merging what others still
 * need), flatten a volume, roll a volume back, and the read-only walks over lineage (diff,
 * blocks, verify). Journal thread only (through {@link SnapshotStore}), with the catalog lock
 * held for the whole operation, so no other process commits in between.
 */
final class Maintenance {

    private final SnapshotStore store;
    private final Catalog catalog;
    private final ChainResolver chains;
    private final VolumeWriter volumes;

    Maintenance(SnapshotStore store) {
        this.store = store;
        this.catalog = store.catalog;
        this.chains = store.chains;
        this.volumes = store.volumes;
    }

    void rollback(String volumeName, String snapshotId) {
        VolumeState state = volumes.state(volumeName);
        Catalog.VolumeRecord v = state.rec;
        Catalog.SnapshotRecord s = catalog.snapshot(snapshotId);
        if (s.size != v.size || s.blockSize != v.blockSize) {
            throw StoreException.invalid("snapshot " + snapshotId + " (" + s.size + " bytes, block " + s.blockSize
                    + ") does not fit volume " + volumeName + " (" + v.size + " bytes, block " + v.blockSize + ")");
        }
        if (state.cow()) {
            chains.materializeAllOf(v);
            store.commit();
        }
        chains.snapshotStack(snapshotId);
        Layer old = state.top();
        store.exclusive(() -> {
            v.layer = Catalog.newId("lay-");
            v.base = s.id;
            v.parent = s.id;
            catalog.touch(v);
            if (state.cow()) {
                v.gen++;
            }
            state.rebuild();
            store.commit();
            chains.dropLayer(old);
        });
    }

    /** The volumes a delete of {@code id} writes to: their locks are taken before anything changes. */
    private void lockAffected(Catalog.SnapshotRecord s) {
        Set<String> names = new LinkedHashSet<>();
        for (Catalog.SnapshotRecord x : catalog.snapshots.values()) {
            if ((x == s || s.id.equals(x.base)) && "cow".equals(x.mode) && !x.materialized) {
                Catalog.VolumeRecord owner = catalog.volumeById(x.volumeId);
                if (owner != null) {
                    names.add(owner.name);
                }
            }
        }
        for (Catalog.VolumeRecord w : catalog.volumes.values()) {
            if (s.id.equals(w.base) || s.id.equals(w.parent) || w.id.equals(s.volumeId)) {
                names.add(w.name);
            }
        }
        for (String name : names) {
            volumes.state(name);
        }
    }

    void deleteSnapshot(String id) {
        Catalog.SnapshotRecord s = catalog.snapshot(id);
        lockAffected(s);
        chains.materialize(s);
        Layer own = chains.layerOf(s);
        String where = "snapshot " + s.id;
        MemorySegment scratch = chains.scratch();
        for (Catalog.SnapshotRecord x : List.copyOf(catalog.snapshots.values())) {
            if (id.equals(x.base)) {
                chains.materialize(x);
                Layer target = chains.layerOf(x);
                own.forEach((block, entry) -> {
                    if (!target.has(block)) {
                        chains.copyBlock(own, block, target, 0, where, scratch);
                    }
                    return 0;
                });
            }
        }
        for (Catalog.VolumeRecord w : catalog.volumes.values()) {
            if (id.equals(w.base)) {
                VolumeState ws = volumes.state(w.name);
                Layer target = ws.top();
                // copy-on-write: merged blocks equal the lineage parent's view (BASE), unless that parent is
                // the snapshot going away: then they are changes relative to the new parent (current generation)
                int gen = !ws.cow() ? 0 : id.equals(w.parent) ? w.gen : VolumeState.BASE_GEN;
                own.forEach((block, entry) -> {
                    if (!target.has(block)) {
                        chains.copyBlock(own, block, target, gen, where, scratch);
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
                VolumeState ws = volumes.state(w.name);
                Layer current = ws.top();
                current.forEachUnordered((block, entry) -> {
                    if (current.gen(block) == VolumeState.BASE_GEN) {
                        current.relabel(block, w.gen);
                    }
                    return 0;
                });
                store.journal.dirty(current);
                ws.recount();
            }
        }
        if ("cow".equals(s.mode)) {
            Catalog.VolumeRecord v = catalog.volumeById(s.volumeId);
            if (v != null) {
                relabelToSuccessor(s, v);
            }
        }
        for (Catalog.SnapshotRecord x : catalog.snapshots.values()) {
            if (id.equals(x.base)) {
                x.base = s.base;
                catalog.touch(x);
            }
            if (id.equals(x.parent)) {
                x.parent = s.parent;
                catalog.touch(x);
            }
        }
        for (Catalog.VolumeRecord w : catalog.volumes.values()) {
            if (id.equals(w.base)) {
                w.base = s.base;
                catalog.touch(w);
            }
            if (id.equals(w.parent)) {
                w.parent = s.parent;
                catalog.touch(w);
            }
        }
        catalog.removeSnapshot(id);
        store.exclusive(() -> {
            for (VolumeState st : volumes.all()) {
                if (st.stack().contains(own)) {
                    st.rebuild();
                } else {
                    st.recount(); // generations may have been re-aliased
                }
            }
            store.commit();
            chains.dropLayer(own);
        });
    }

    /**
     * The blocks of a deleted copy-on-write snapshot's generation still in its volume now belong
     * to the successor: relabel them in place (rather than keep an alias that every later record carries).
     */
    private void relabelToSuccessor(Catalog.SnapshotRecord s, Catalog.VolumeRecord v) {
        int successor = v.gen;
        for (Catalog.SnapshotRecord y : catalog.snapshots.values()) {
            if (s.id.equals(y.parent) && "cow".equals(y.mode) && v.id.equals(y.volumeId)) {
                successor = y.gen;
            }
        }
        VolumeState vs = volumes.state(v.name);
        Layer current = vs.top();
        int from = s.gen;
        int to = successor;
        current.forEachUnordered((block, entry) -> {
            if (vs.resolveGen(current.gen(block)) == from) {
                current.relabel(block, to);
            }
            return 0;
        });
        store.journal.dirty(current);
    }

    void flatten(String volumeName) {
        VolumeState state = volumes.state(volumeName);
        Catalog.VolumeRecord v = state.rec;
        Stack stack = state.stack();
        if (stack.depth() == 1) {
            return;
        }
        Roaring64Bitmap all = new Roaring64Bitmap();
        for (Layer l : stack.layers) {
            l.replay((block, entry) -> all.addLong(block)); // no per-layer table is built for this
        }
        String where = "volume " + v.name;
        if (state.cow()) {
            Layer current = stack.top();
            all.forEach(block -> {
                if (!current.has(block)) {
                    int ordinal = state.resolver.find(block);
                    Layer from = stack.layers[ordinal];
                    chains.copyBlock(from, block, current, VolumeState.BASE_GEN, where, chains.scratch());
                    state.stats.blocksCopied.increment();
                }
            });
            store.exclusive(() -> {
                v.base = null;
                catalog.touch(v);
                state.rebuild();
                store.commit();
            });
            return;
        }
        Layer flat = Layer.empty(store.fileOps, chains.layersDir(), Catalog.newId("lay-"), v.blockSize, state.blocks, false);
        // Explicit zeros (discards) stay explicit: the next snapshot's changed-block list
        // must still name a block that held data in an earlier snapshot and is now zero.
        Roaring64Bitmap zeros = new Roaring64Bitmap();
        Location found = new Location();
        try (LayerBulk bulk = new LayerBulk(flat)) {
            all.forEach(block -> {
                state.resolver.locate(block, found); // the writer is this thread: nothing races
                int ordinal = found.ordinal();
                Layer from = stack.layers[ordinal];
                long entry = found.entry();
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
        store.journal.dirty(flat);
        Layer old = stack.top();
        store.exclusive(() -> {
            chains.adopt(flat);
            v.layer = flat.id;
            v.base = null;
            catalog.touch(v);
            state.rebuild();
            chains.release(flat);
            store.commit();
            chains.dropLayer(old);
        });
    }

    ChangedBlocks diff(String fromSnapshotId, String toSnapshotId) {
        Catalog.SnapshotRecord from = catalog.snapshot(fromSnapshotId);
        Catalog.SnapshotRecord to = catalog.snapshot(toSnapshotId);
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
            chains.materialize(s);
            chains.layerOf(s).replay((block, entry) -> changed.addLong(block));
        }
        return new ChangedBlocks(from.blockSize, changed);
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

    ChangedBlocks blocks(String snapshotId) {
        Catalog.SnapshotRecord s = catalog.snapshot(snapshotId);
        chains.materialize(s);
        Roaring64Bitmap bitmap = new Roaring64Bitmap();
        chains.layerOf(s).replay((block, entry) -> bitmap.addLong(block));
        return new ChangedBlocks(s.blockSize, bitmap);
    }

    /**
     * Reads every stored block and checks its CRC32C. A volume another process has open is
     * reported as not checked (its current data is changing under that process).
     */
    VerifyReport verify() {
        List<VerifyReport.Damage> damage = new ArrayList<>();
        List<String> notChecked = new ArrayList<>();
        long[] checked = {0};
        for (Catalog.SnapshotRecord s : catalog.snapshots.values()) {
            checkLayer(chains.layerOf(s), s.id, null, damage, checked);
        }
        for (Catalog.VolumeRecord v : List.copyOf(catalog.volumes.values())) {
            VolumeState st = volumes.stateIfFree(v.name);
            if (st == null) {
                notChecked.add(v.name);
            } else {
                checkLayer(st.top(), null, v.name, damage, checked);
            }
        }
        return new VerifyReport(checked[0], List.copyOf(damage), List.copyOf(notChecked), store.autoPacker.failures());
    }

    private void checkLayer(Layer layer, String snapshotId, String volume, List<VerifyReport.Damage> damage, long[] checked) {
        for (String problem : layer.damage()) {
            damage.add(new VerifyReport.Damage(snapshotId, volume, -1, problem));
        }
        MemorySegment buf = chains.scratch().asSlice(0, layer.blockSize);
        layer.forEachUnordered((block, entry) -> {
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
}
