package io.amiforge.store;

import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.store.spi.FileOps;
import io.amiforge.store.strategy.SparseLongArray;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.roaringbitmap.RoaringBitmap;

/**
 * One layer of block data: the blocks of one snapshot, or a volume's current (top) layer.
 *
 * <p>On disk, two files in the store's {@code layers/} directory: {@code <id>.dat} holds block
 * data in slots of exactly one block, {@code <id>.idx} is an append-only log of 32-byte entries
 * ({@code magic, flags, block, slot, crc32c of the data, generation, crc32c of the entry}); the
 * last entry for a block wins. A write puts the data in a free slot first and appends the entry
 * after it, so a process killed at any moment leaves either the old or the new entry, never an
 * entry whose data is half written; a torn entry can only be the last one and is cut off on open.
 * A slot freed by an overwrite is reused only after the next fsync, so a power loss cannot
 * leave a durable entry pointing at recycled data.
 *
 * <p>In memory, a {@link SparseLongArray} maps block to {@code (slot+1) << 32 | crc}; the slot
 * value {@link #ZERO_SLOT} marks a block explicitly zeroed (it shadows lower layers). Only the
 * store's journal thread writes; readers read concurrently and check the CRC of what they read.
 */
final class Layer {

    static final int ENTRY = IndexEntry.SIZE;
    static final long ZERO_SLOT = 0xFFFF_FFFFL;
    private static final ThreadLocal<CRC32C> CRC = ThreadLocal.withInitial(CRC32C::new);

    final String id;
    final int blockSize;
    private final int blockShift;
    private final Path dataPath;
    private final Path idxPath;
    private final SparseLongArray index;
    private final SparseLongArray gens;
    private volatile FileChannel data;
    /** The data file mapped read-only (reads of slots inside it are a memcpy); null until mapped. */
    private volatile MemorySegment mapped;
    private final List<Arena> mapArenas = new ArrayList<>();
    private FileChannel idx;
    private long idxLength;
    private long idxEntries;
    private long nextSlot;
    private final SlotAllocator slots = new SlotAllocator();
    private boolean dirty;
    private boolean newFiles;
    private final ByteBuffer entryBuffer = ByteBuffer.allocateDirect(ENTRY).order(ByteOrder.LITTLE_ENDIAN);
    final List<String> openDamage = new ArrayList<>();

    private final FileOps io;

    private Layer(FileOps io, Path dir, String id, int blockSize, long blocks, boolean withGens) {
        this.io = io;
        this.id = id;
        this.blockSize = blockSize;
        this.blockShift = Integer.numberOfTrailingZeros(blockSize);
        this.dataPath = dir.resolve(id + ".dat");
        this.idxPath = dir.resolve(id + ".idx");
        this.index = new SparseLongArray(blocks);
        this.gens = withGens ? new SparseLongArray(blocks) : null;
    }

    /** A layer with no files yet: they are created on the first write. */
    static Layer empty(FileOps io, Path dir, String id, int blockSize, long blocks, boolean withGens) {
        return new Layer(io, dir, id, blockSize, blocks, withGens);
    }

    /**
     * Opens a layer's files (if they exist) and replays its index. With {@code repair} (only the
     * holder of a volume's lock, for the volume's own layer) a torn tail entry and data past the
     * last live slot are cut off and a mostly dead index is compacted; without it the files are
     * left as they are (another process may be reading them), a torn tail entry is skipped and
     * the next entry written overwrites it.
     */
    static Layer open(FileOps io, Path dir, String id, int blockSize, long blocks, boolean withGens, boolean repair) {
        Layer layer = new Layer(io, dir, id, blockSize, blocks, withGens);
        if (Files.exists(layer.idxPath)) {
            layer.load(blocks, repair);
        }
        return layer;
    }

    private void load(long blocks, boolean repair) {
        try {
            idx = FileChannel.open(idxPath, StandardOpenOption.READ, StandardOpenOption.WRITE);
            data = FileChannel.open(dataPath, StandardOpenOption.READ, StandardOpenOption.WRITE,
                    StandardOpenOption.CREATE);
            long length = idx.size();
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            long pos = 0;
            long valid = 0;
            CRC32C crc = new CRC32C();
            while (pos + ENTRY <= length) {
                buf.clear();
                long n = Math.min(buf.capacity(), (length - pos) / ENTRY * ENTRY);
                buf.limit((int) n);
                while (buf.hasRemaining()) {
                    if (idx.read(buf, pos + buf.position()) < 0) {
                        break;
                    }
                }
                buf.flip();
                while (buf.remaining() >= ENTRY) {
                    int at = buf.position();
                    long block = IndexEntry.block(buf, at);
                    if (!IndexEntry.intact(buf, at, crc) || block < 0 || block >= blocks) {
                        if (pos + at + ENTRY >= length) {
                            break; // a torn last entry: the write it belonged to never returned
                        }
                        openDamage.add("index entry at byte " + (pos + at) + " is damaged (checksum or magic)");
                        buf.position(at + ENTRY);
                        continue;
                    }
                    long value = IndexEntry.value(buf, at);
                    int gen = IndexEntry.gen(buf, at);
                    index.set(block, value);
                    if (gens != null) {
                        gens.set(block, Integer.toUnsignedLong(gen) + 1);
                    }
                    idxEntries++;
                    valid = pos + at + ENTRY;
                    buf.position(at + ENTRY);
                }
                pos += n;
            }
            if (repair && valid < length && openDamage.isEmpty()) {
                idx.truncate(valid);
            }
            idxLength = valid;
            RoaringBitmap live = new RoaringBitmap();
            long[] max = {-1};
            index.forEach((block, value) -> {
                long s = value >>> 32;
                if (s != ZERO_SLOT) {
                    live.add((int) (s - 1));
                    max[0] = Math.max(max[0], s - 1);
                }
                return 0;
            });
            nextSlot = max[0] + 1;
            for (long s = 0; s < nextSlot; s++) {
                if (!live.contains((int) s)) {
                    slots.free(s);
                }
            }
            if (repair && data.size() > nextSlot << blockShift) {
                data.truncate(nextSlot << blockShift); // data of writes whose entry never made it
            }
            if (repair && idxEntries > 2 * index.count() + 1024) {
                compact();
            }
            remap();
        } catch (IOException e) {
            throw new BlockDeviceException.Io("layer " + id, "open", e);
        }
    }

    /** Rewrites the index log with only the live entries (write new, fsync, rename). */
    private void compact() throws IOException {
        Path tmp = idxPath.resolveSibling(id + ".idx.tmp");
        io.before(FileOps.Op.CREATE, tmp);
        io.before(FileOps.Op.WRITE, tmp);
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer e = ByteBuffer.allocateDirect(ENTRY).order(ByteOrder.LITTLE_ENDIAN);
            long[] pos = {0};
            IOException[] failure = {null};
            index.forEach((block, value) -> {
                try {
                    IndexEntry.encode(e, block, value, gens == null ? 0 : (int) (gens.get(block) - 1));
                    while (e.hasRemaining()) {
                        pos[0] += out.write(e, pos[0]);
                    }
                } catch (IOException x) {
                    failure[0] = x;
                }
                return 0;
            });
            if (failure[0] != null) {
                throw failure[0];
            }
            io.before(FileOps.Op.FSYNC, tmp);
            out.force(true);
            idxLength = pos[0];
        }
        idx.close();
        io.before(FileOps.Op.RENAME, idxPath);
        Files.move(tmp, idxPath, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Catalog.fsyncDirectory(io, idxPath.getParent());
        idx = FileChannel.open(idxPath, StandardOpenOption.READ, StandardOpenOption.WRITE);
        idxEntries = index.count();
    }

    /** The packed entry of {@code block} in this layer, 0 if absent. */
    long entry(long block) {
        return index.get(block);
    }

    boolean has(long block) {
        return index.get(block) != 0;
    }

    /** The first block at or after {@code from} that this layer holds (data or explicit zero), or -1. */
    long nextBlock(long from) {
        return index.nextPresent(from);
    }

    /** The generation recorded with the block (copy-on-write live layers), or -1. */
    int gen(long block) {
        return gens == null ? -1 : (int) (gens.get(block) - 1);
    }

    long blockCount() {
        return index.count();
    }

    static boolean isZero(long entry) {
        return (entry >>> 32) == ZERO_SLOT;
    }

    static int crcOf(long entry) {
        return (int) entry;
    }

    static int crc(MemorySegment block) {
        CRC32C crc = CRC.get();
        crc.reset();
        crc.update(block.asByteBuffer());
        return (int) crc.getValue();
    }

    /**
     * Maps the data file read-only when it has grown by half since the last mapping (journal
     * thread, or open). Older mappings stay valid until the layer is closed, so a reader never
     * sees a mapping disappear under it.
     */
    void remap() {
        FileChannel channel = data;
        if (channel == null) {
            return;
        }
        try {
            long size = channel.size();
            MemorySegment current = mapped;
            long have = current == null ? 0 : current.byteSize();
            if (size == 0 || size < have + (have >>> 1) + blockSize) {
                return;
            }
            Arena arena = Arena.ofShared();
            mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            mapArenas.add(arena);
        } catch (IOException | UnsupportedOperationException e) {
            // no mapping: reads use pread
        }
    }

    /** Reads the data of a (non-zero) entry into {@code dst} (exactly one block); returns its CRC32C. */
    int readSlot(long entry, MemorySegment dst) {
        long slot = (entry >>> 32) - 1;
        long position = slot << blockShift;
        MemorySegment map = mapped;
        if (map != null && position + blockSize <= map.byteSize()) {
            MemorySegment.copy(map, position, dst, 0, blockSize);
            return crc(dst);
        }
        ByteBuffer buffer = dst.asByteBuffer();
        FileChannel channel = data;
        try {
            while (buffer.hasRemaining()) {
                if (channel.read(buffer, position + buffer.position()) < 0) {
                    break; // short file: the CRC check will fail
                }
            }
        } catch (IOException e) {
            throw new BlockDeviceException.Io("layer " + id, "read of slot " + slot, e);
        }
        if (buffer.hasRemaining()) {
            dst.asSlice(buffer.position()).fill((byte) 0);
        }
        return crc(dst);
    }

    /** Calls {@code action(block, entry)} for every block in this layer, ascending. */
    void forEach(java.util.function.LongBinaryOperator action) {
        index.forEach(action);
    }

    /**
     * Stores one block (journal thread only). {@code data} is exactly one block, or null for an
     * explicit zero block. Returns the number of metadata bytes written.
     */
    int put(long block, MemorySegment data, int gen) {
        try {
            ensureFiles();
            long value;
            if (data == null) {
                value = ZERO_SLOT << 32;
            } else {
                long slot = allocateSlot();
                ByteBuffer buffer = data.asByteBuffer();
                long position = slot << blockShift;
                io.before(FileOps.Op.WRITE, dataPath);
                while (buffer.hasRemaining()) {
                    this.data.write(buffer, position + buffer.position());
                }
                value = ((slot + 1) << 32) | Integer.toUnsignedLong(crc(data));
            }
            IndexEntry.encode(entryBuffer, block, value, gen);
            io.before(FileOps.Op.WRITE, idxPath);
            while (entryBuffer.hasRemaining()) {
                idxLength += idx.write(entryBuffer, idxLength);
            }
            idxEntries++;
            long old = index.set(block, value);
            if (gens != null) {
                gens.set(block, Integer.toUnsignedLong(gen) + 1);
            }
            if (old != 0 && !isZero(old)) {
                slots.freeAfterSync((old >>> 32) - 1);
            }
            dirty = true;
            return ENTRY;
        } catch (IOException e) {
            throw new BlockDeviceException.Io("layer " + id, "write of block " + block, e);
        }
    }

    /**
     * Records {@code block} in the next fresh slot for a {@link LayerBulk} load and encodes its
     * index entry into {@code entry}; returns the slot. The layer must have no free slots.
     */
    long bulkSlot(long block, int crc, int gen, ByteBuffer entry) {
        if (slots.hasFree()) {
            throw new IllegalStateException("layer " + id + " is not fresh");
        }
        long slot = nextSlot++;
        long value = ((slot + 1) << 32) | Integer.toUnsignedLong(crc);
        IndexEntry.encode(entry, block, value, gen);
        index.set(block, value);
        if (gens != null) {
            gens.set(block, Integer.toUnsignedLong(gen) + 1);
        }
        return slot;
    }

    /** Records {@code block} as an explicit zero (no data) for a {@link LayerBulk} load and encodes its entry into {@code entry}. */
    void bulkZero(long block, int gen, ByteBuffer entry) {
        long value = ZERO_SLOT << 32;
        IndexEntry.encode(entry, block, value, gen);
        index.set(block, value);
        if (gens != null) {
            gens.set(block, Integer.toUnsignedLong(gen) + 1);
        }
    }

    /** Writes a {@link LayerBulk} batch: the data of slots from {@code firstSlot} on, then their {@code count} entries. */
    void bulkWrite(ByteBuffer blocks, long firstSlot, ByteBuffer entries, int count) {
        try {
            ensureFiles();
            long position = firstSlot << blockShift;
            io.before(FileOps.Op.WRITE, dataPath);
            while (blocks.hasRemaining()) {
                data.write(blocks, position + blocks.position());
            }
            io.before(FileOps.Op.WRITE, idxPath);
            while (entries.hasRemaining()) {
                idxLength += idx.write(entries, idxLength);
            }
            idxEntries += count;
            dirty = true;
        } catch (IOException e) {
            throw new BlockDeviceException.Io("layer " + id, "bulk write", e);
        }
    }

    /** Re-records the generation of a block without touching its data (copy-on-write relabelling). */
    int relabel(long block, int gen) {
        long value = index.get(block);
        if (value == 0) {
            return 0;
        }
        try {
            IndexEntry.encode(entryBuffer, block, value, gen);
            io.before(FileOps.Op.WRITE, idxPath);
            while (entryBuffer.hasRemaining()) {
                idxLength += idx.write(entryBuffer, idxLength);
            }
            idxEntries++;
            gens.set(block, Integer.toUnsignedLong(gen) + 1);
            dirty = true;
            return ENTRY;
        } catch (IOException e) {
            throw new BlockDeviceException.Io("layer " + id, "relabel of block " + block, e);
        }
    }

    private long allocateSlot() {
        long slot = slots.take();
        if (slot >= 0) {
            return slot;
        }
        if (nextSlot >= 0xFFFF_FFFEL) {
            throw new BlockDeviceException("layer " + id + ": more than 2^32-2 block slots");
        }
        return nextSlot++;
    }

    private void ensureFiles() throws IOException {
        if (idx == null) {
            Files.createDirectories(idxPath.getParent());
            io.before(FileOps.Op.CREATE, dataPath);
            data = FileChannel.open(dataPath, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE);
            io.before(FileOps.Op.CREATE, idxPath);
            idx = FileChannel.open(idxPath, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE);
            idxLength = idx.size();
            newFiles = true; // the directory is fsynced with the next force(), not on this write
        }
    }

    /** fsyncs data then index (so a durable entry never points at data that is not); recycles freed slots. */
    void force() {
        if (!dirty) {
            return;
        }
        try {
            io.before(FileOps.Op.FSYNC, dataPath);
            data.force(false);
            io.before(FileOps.Op.FSYNC, idxPath);
            idx.force(false);
            if (newFiles) {
                Catalog.fsyncDirectory(io, idxPath.getParent());
                newFiles = false;
            }
        } catch (IOException e) {
            throw new BlockDeviceException.Io("layer " + id, "fsync", e);
        }
        slots.synced();
        dirty = false;
        remap();
    }

    void close() {
        mapped = null;
        for (Arena arena : mapArenas) {
            arena.close();
        }
        mapArenas.clear();
        try {
            if (data != null) {
                data.close();
            }
            if (idx != null) {
                idx.close();
            }
        } catch (IOException e) {
            throw new BlockDeviceException.Io("layer " + id, "close", e);
        }
    }

    /** Closes and removes the layer's files (its space is returned to the file system). */
    void delete() {
        close();
        try {
            Files.deleteIfExists(dataPath);
            Files.deleteIfExists(idxPath);
        } catch (IOException e) {
            throw new BlockDeviceException.Io("layer " + id, "delete", e);
        }
    }
}
