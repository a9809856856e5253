package io.amiforge.store;

import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.store.spi.Location;
import io.amiforge.store.spi.ReadIndex;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The one read path of volumes and snapshots: locate the block through the read index (one
 * lookup with the flat index: layer and entry together), read its slot (from the layer, or from
 * the shared mapping of its pack: consecutive slots of a pack are one copy whatever their layers),
 * check its CRC32C. A CRC mismatch while the entry changed under us (a concurrent
 * overwrite recycled the slot) is retried; a mismatch on a stable entry is damage, reported with
 * the snapshot (or volume) and block.
 */
final class BlockReads {

    /** Where a reader gets its current resolver and how it names a layer in errors. */
    interface Source {
        ReadIndex.Resolver resolver();

        /** "snapshot snap-..." or "volume NAME" for the layer at {@code ordinal} of {@code stack}. */
        String describe(Stack stack, int ordinal);

        VolumeStats stats();
    }

    /** What one reading thread reuses: a block-sized scratch buffer, the lookup's answer and a run's checksums. */
    private static final class PerThread {
        MemorySegment scratch;
        final Location where = new Location();
        /** The CRC32C of each block of the run being read ({@link #readRun}). */
        final int[] crcs = new int[RUN];
        /** Checks the blocks of a run through one buffer over it: no slice or buffer per block. */
        final CRC32C crc = new CRC32C();
    }

    private static final ThreadLocal<PerThread> PER_THREAD = ThreadLocal.withInitial(PerThread::new);
    private static final int RETRIES = 16;
    /** Blocks one {@link #readRun} call covers at most (a large read is several calls). */
    private static final int MAX_RUN = 1 << 16;
    /** Blocks copied or zero-filled in one go at most. */
    private static final int RUN = 1024;

    private BlockReads() {
    }

    static MemorySegment scratch(int blockSize) {
        PerThread t = PER_THREAD.get();
        if (t.scratch == null || t.scratch.byteSize() < blockSize) {
            t.scratch = Arena.ofAuto().allocate(blockSize, 4096);
        }
        return t.scratch.asSlice(0, blockSize);
    }

    /**
     * Reads {@code dst.byteSize()} bytes at {@code offset} (already range-checked). Whole blocks
     * go through {@link #readRun}, partial ones (the edges of an unaligned read) one by one.
     */
    static void read(Source source, int blockSize, long offset, MemorySegment dst) {
        int shift = Integer.numberOfTrailingZeros(blockSize);
        long length = dst.byteSize();
        long done = 0;
        while (done < length) {
            long pos = offset + done;
            long block = pos >>> shift;
            int within = (int) (pos & (blockSize - 1));
            int n = (int) Math.min(blockSize - within, length - done);
            if (n == blockSize) {
                long whole = (length - done) >>> shift;
                int count = (int) Math.min(whole, MAX_RUN);
                readRun(source, blockSize, block, count, dst.asSlice(done, (long) count << shift));
                n = count << shift;
            } else {
                MemorySegment tmp = scratch(blockSize);
                readBlock(source, block, tmp);
                MemorySegment.copy(tmp, within, dst, done, n);
            }
            done += n;
        }
    }

    /**
     * Reads {@code count} whole blocks from {@code first} into {@code dst}: every block is
     * located with the one resolver read at the start (a block a racing writer already put in a
     * newer layer goes through {@link #readBlock}); consecutive blocks that are holes or explicit
     * zeros are filled at once, consecutive blocks in consecutive slots of one layer (how a layer
     * written or imported in order lies) are copied in one go, and each block's CRC32C is then
     * checked; a block whose check fails is read again through {@link #readBlock}, which retries
     * a racing overwrite and reports damage.
     */
    static void readRun(Source source, int blockSize, long first, int count, MemorySegment dst) {
        int shift = Integer.numberOfTrailingZeros(blockSize);
        PerThread t = PER_THREAD.get();
        Location where = t.where;
        int[] crcs = t.crcs;
        ReadIndex.Resolver resolver = source.resolver();
        Stack stack = (Stack) resolver.stack();
        long visited = 0;
        int careful = 0;
        int i = 0;
        while (i < count) {
            resolver.locate(first + i, where);
            int ordinal = where.ordinal();
            long entry = where.entry();
            if (ordinal >= stack.layers.length) {
                readBlock(source, first + i, dst.asSlice((long) i << shift, blockSize));
                careful++;
                i++;
                continue;
            }
            visited += resolver.visited(ordinal);
            boolean zero = ordinal < 0 || entry == 0 || Layer.isZero(entry);
            MemorySegment pack = zero ? null : stack.pack(ordinal);
            crcs[0] = Layer.crcOf(entry);
            // extend the run while the next block lies the same way: a hole, or the next slot of this layer
            int limit = Math.min(count, i + RUN);
            int end = i + 1;
            while (end < limit) {
                resolver.locate(first + end, where);
                int o = where.ordinal();
                long e = where.entry();
                boolean z = o < 0 || e == 0 || Layer.isZero(e);
                if (o >= stack.layers.length || z != zero
                        || !zero && (o != ordinal && (pack == null || stack.pack(o) != pack) || (e >>> 32) != (entry >>> 32) + (end - i))) {
                    break; // not the next slot of this layer, nor of the pack it shares with others
                }
                crcs[end - i] = Layer.crcOf(e);
                visited += resolver.visited(o);
                end++;
            }
            MemorySegment run = dst.asSlice((long) i << shift, (long) (end - i) << shift);
            if (zero) {
                run.fill((byte) 0);
            } else {
                long position = ((entry >>> 32) - 1) << shift;
                // a pack mapping no longer alive (every layer using it closed under a stale device): the layer reports it
                if (pack != null && position + run.byteSize() <= pack.byteSize() && pack.scope().isAlive()) {
                    Layer.copyRun(pack.asSlice(position, run.byteSize()), run);
                } else {
                    stack.layers[ordinal].readSlots(entry, end - i, run);
                }
                ByteBuffer blocks = run.asByteBuffer();
                for (int k = 0; k < end - i; k++) {
                    blocks.limit((k + 1) << shift).position(k << shift);
                    t.crc.reset();
                    t.crc.update(blocks);
                    if ((int) t.crc.getValue() != crcs[k]) {
                        // a racing overwrite recycled the slot, or damage: the careful path tells which
                        readBlock(source, first + i + k, run.asSlice((long) k << shift, blockSize));
                        visited -= resolver.visited(ordinal); // counted again there
                        careful++;
                    }
                }
            }
            i = end;
        }
        VolumeStats stats = source.stats();
        if (stats != null) {
            stats.blocksRead.add(count - careful);
            stats.layersVisited.add(visited);
        }
    }

    /** Reads one whole block into {@code dst} (exactly one block long). */
    static void readBlock(Source source, long block, MemorySegment dst) {
        VolumeStats stats = source.stats();
        Location where = PER_THREAD.get().where;
        for (int attempt = 0; ; attempt++) {
            ReadIndex.Resolver resolver = source.resolver();
            Stack stack = (Stack) resolver.stack();
            resolver.locate(block, where);
            int ordinal = where.ordinal();
            long entry = where.entry();
            if (ordinal >= stack.layers.length) {
                continue; // the flat index already knows a layer pushed after we read the resolver
            }
            if (stats != null) {
                stats.blocksRead.increment();
                stats.layersVisited.add(resolver.visited(ordinal));
            }
            if (ordinal < 0 || entry == 0 || Layer.isZero(entry)) {
                dst.fill((byte) 0);
                return;
            }
            Layer layer = stack.layers[ordinal];
            int crc = layer.readSlot(entry, dst);
            if (crc == Layer.crcOf(entry)) {
                return;
            }
            resolver.locate(block, where);
            boolean stable = where.ordinal() == ordinal && where.entry() == entry && source.resolver() == resolver;
            if (stable && attempt >= 2) {
                throw new BlockDeviceException.Corrupt("%s: block %d is damaged (stored CRC32C %08x, data has %08x)"
                        .formatted(source.describe(stack, ordinal), block, Layer.crcOf(entry), crc));
            }
            if (attempt > RETRIES) {
                throw new BlockDeviceException.Corrupt("%s: block %d keeps changing under the reader"
                        .formatted(source.describe(stack, ordinal), block));
            }
        }
    }
}
