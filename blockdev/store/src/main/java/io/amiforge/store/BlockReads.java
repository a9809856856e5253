package io.amiforge.store;

import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.store.spi.Location;
import io.amiforge.store.spi.ReadIndex;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The one read path of volumes and snapshots: locate the block through the read index (one
 * lookup with the flat index: layer and entry together), read its slot, check its CRC32C. A CRC mismatch while the entry changed under us (a concurrent
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

    /** What one reading thread reuses: a block-sized scratch buffer and the lookup's answer. */
    private static final class PerThread {
        MemorySegment scratch;
        final Location where = new Location();
    }

    private static final ThreadLocal<PerThread> PER_THREAD = ThreadLocal.withInitial(PerThread::new);
    private static final int RETRIES = 16;

    private BlockReads() {
    }

    static MemorySegment scratch(int blockSize) {
        PerThread t = PER_THREAD.get();
        if (t.scratch == null || t.scratch.byteSize() < blockSize) {
            t.scratch = Arena.ofAuto().allocate(blockSize, 4096);
        }
        return t.scratch.asSlice(0, blockSize);
    }

    /** Reads {@code dst.byteSize()} bytes at {@code offset} (already range-checked). */
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
                readBlock(source, block, dst.asSlice(done, blockSize));
            } else {
                MemorySegment tmp = scratch(blockSize);
                readBlock(source, block, tmp);
                MemorySegment.copy(tmp, within, dst, done, n);
            }
            done += n;
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
