package io.amiforge.store;

import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.store.spi.ReadIndex;
import io.amiforge.store.spi.WriteStrategy;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The shared state of one volume inside an open store (all {@link StoreVolume} handles of the
 * volume use it): its record, its layer stack (the snapshots under it plus its current layer on
 * top), the read resolver, the strategies and the statistics. Mutated only on the journal thread;
 * read by any thread through the volatile {@link #resolver}.
 */
final class VolumeState implements BlockReads.Source, WriteStrategy.CopyOutContext {

    /** Generation of blocks in a copy-on-write current layer that no snapshot owns (copied down by flatten or merge). */
    static final int BASE_GEN = 0x7FFF_FFFE;

    final SnapshotStore store;
    final Catalog.VolumeRecord rec;
    final int blockSize;
    final long blocks;
    final WriteStrategy write;
    final ReadIndex readIndex;
    final VolumeStats stats;
    volatile ReadIndex.Resolver resolver;
    volatile boolean deleted;
    /** Copy-on-write: blocks of the current layer written in the current generation (journal thread). */
    long genBlocks;
    /** This process's lock on the volume (see {@link VolumeWriter}). */
    final StoreLock lock;
    /** Open {@link Volume} handles (journal thread); the lock is given back when none is left. */
    int handles;
    private final MemorySegment scratch;
    private final MemorySegment copyScratch;

    VolumeState(SnapshotStore store, Catalog.VolumeRecord rec, Stack stack, StoreLock lock) {
        this.store = store;
        this.rec = rec;
        this.lock = lock;
        this.blockSize = rec.blockSize;
        this.blocks = rec.size / rec.blockSize;
        this.write = VolumeStrategies.write(rec);
        this.readIndex = VolumeStrategies.read(rec);
        this.resolver = readIndex.build(stack);
        this.stats = new VolumeStats(rec.write, write, rec.read, () -> resolver);
        this.scratch = Arena.ofAuto().allocate(blockSize, 4096);
        this.copyScratch = Arena.ofAuto().allocate(blockSize, 4096);
        recount();
    }

    /** Recounts {@link #genBlocks} (after open and after operations that relabel blocks). */
    void recount() {
        if (!cow()) {
            return;
        }
        Layer current = top();
        long[] n = {0};
        current.forEachUnordered((block, entry) -> {
            if (resolveGen(current.gen(block)) == rec.gen) {
                n[0]++;
            }
            return 0;
        });
        genBlocks = n[0];
    }

    boolean cow() {
        return !write.freezesOnSnapshot();
    }

    Stack stack() {
        return (Stack) resolver.stack();
    }

    Layer top() {
        return stack().top();
    }

    @Override
    public ReadIndex.Resolver resolver() {
        return resolver;
    }

    @Override
    public String describe(Stack stack, int ordinal) {
        String owner = stack.owners[ordinal];
        return owner == null ? "volume " + rec.name : "volume " + rec.name + ", snapshot " + owner;
    }

    @Override
    public VolumeStats stats() {
        return stats;
    }

    /** Applies one block write (journal thread). {@code data} null means zeros (discard). */
    void apply(long block, int offset, int length, MemorySegment data) {
        if (deleted) {
            throw new BlockDeviceException.Closed("volume " + rec.name + " (deleted)");
        }
        MemorySegment full;
        if (length == blockSize) {
            full = data == null ? null : data.asSlice(0, blockSize);
        } else {
            BlockReads.readBlock(this, block, scratch);
            if (data == null) {
                scratch.asSlice(offset, length).fill((byte) 0);
            } else {
                MemorySegment.copy(data, 0, scratch, offset, length);
            }
            full = scratch;
        }
        Stack stack = stack();
        Layer top = stack.top();
        if (full == null && !top.has(block) && resolver.find(block) < 0) {
            return; // zeroing a block nobody holds: it already reads as zeros
        }
        write.beforeOverwrite(this, block);
        if (cow() && (!top.has(block) || resolveGen(top.gen(block)) != rec.gen)) {
            genBlocks++;
        }
        long entry = top.put(block, full, rec.gen);
        store.journal.dirty(top);
        resolver.written(block, stack.depth() - 1, entry);
        stats.metadataBytesWritten.add(Layer.ENTRY);
        if (full != null) {
            stats.dataBytesWritten.add(blockSize);
        }
    }

    // ---- copy-on-write -------------------------------------------------------------------

    int resolveGen(int gen) {
        return resolveGen(rec, gen);
    }

    /** The generation {@code gen} of volume {@code rec} stands for now (following its aliases). */
    static int resolveGen(Catalog.VolumeRecord rec, int gen) {
        int g = gen;
        for (int i = 0; i <= rec.genAlias.size(); i++) {
            Integer next = rec.genAlias.get(g);
            if (next == null) {
                return g;
            }
            g = next;
        }
        return g;
    }

    @Override
    public String ownerSnapshot(long block) {
        Layer current = top();
        int gen = current.gen(block);
        if (gen < 0 || !current.has(block)) {
            return null;
        }
        int g = resolveGen(gen);
        if (g == rec.gen || g == BASE_GEN) {
            return null;
        }
        Catalog.SnapshotRecord owner = store.catalog.cowSnapshotOf(rec.id, g);
        if (owner == null || store.chains.layerOf(owner).has(block)) {
            return null;
        }
        return owner.id;
    }

    @Override
    public void copyOut(long block, String snapshotId) {
        Catalog.SnapshotRecord s = store.catalog.snapshots.get(snapshotId);
        Layer target = store.chains.layerOf(s);
        store.chains.copyBlock(top(), block, target, 0, "volume " + rec.name, copyScratch);
        stats.blocksCopied.increment();
    }

    /**
     * Follows a pack (journal thread, inside {@link SnapshotStore#exclusive}, so no read of this
     * process is in progress): where this volume's stack has the layer of {@code packed} at an
     * ordinal whose {@code replacement} is not null, that layer is replaced by it (same blocks,
     * same contents, slots in the pack), and the read index is told which ordinals changed
     * ({@link ReadIndex#relayered}: the flat index patches their blocks' entries). A snapshot layer
     * has the same ordinal in every stack that holds it (stacks count from the chain's root).
     * O(depth) here, plus what the index does.
     */
    void relayer(Stack packed, Layer[] replacement) {
        Stack stack = stack();
        int n = 0;
        int[] ordinals = new int[replacement.length];
        Layer[] with = new Layer[replacement.length];
        for (int i = 0; i < replacement.length && i < stack.depth(); i++) {
            if (replacement[i] != null && stack.holds(i, packed.layers[i])) {
                ordinals[n] = i;
                with[n++] = replacement[i];
            }
        }
        if (n == 0) {
            return;
        }
        int[] changed = Arrays.copyOf(ordinals, n);
        resolver = readIndex.relayered(resolver, stack.replacing(changed, Arrays.copyOf(with, n)), changed);
    }

    /** Rebuilds the stack and resolver from the record (after rollback, flatten, merges). */
    void rebuild() {
        resolver = readIndex.build(store.chains.volumeStack(rec, this));
        recount();
    }
}
