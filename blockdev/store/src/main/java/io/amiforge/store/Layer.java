package io.amiforge.store;

import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.blockdev.DirectIo;
import io.amiforge.store.spi.FileOps;
import io.amiforge.store.spi.LayerStack;
import io.amiforge.store.strategy.BlockMap;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongBinaryOperator;
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
 * <p>In memory, a {@link BlockMap} maps block to its entry {@code (slot+1) << 32 | crc} (and, in
 * copy-on-write layers, its generation as the tag); the slot value {@link #ZERO_SLOT} marks a
 * block explicitly zeroed (it shadows lower layers). The table is built on first use
 * ({@link #replay} streams the index file without building it, which is all a flat index needs),
 * so a layer that is only read through a flat index keeps no table. Data is read through a
 * read-only mapping of the data file made when the layer's entries are first read; a layer
 * that is only read holds no open file. Only the store's journal thread writes; readers read
 * concurrently and check the CRC of what they read.
 *
 * <p>A <em>packed</em> layer ({@link LayerPacker}) has its slots in a pack file that other layers
 * share: its data file is a hard link to the pack and its entries carry the packed flag. Its
 * slots are not its own to recycle: a block added later (a merge by a snapshot delete) goes to a
 * fresh slot at the end of the shared file, and freed slots are never reused. It reads through
 * the store's one mapping of the pack ({@link PackMappings}).
 */
final class Layer {

    static final int ENTRY = IndexEntry.SIZE;
    static final long ZERO_SLOT = 0xFFFF_FFFFL;
    /**
     * A run of slots at least this long is read ahead as a whole before it is copied from the
     * mapping, and unmapped from this process behind the copy ({@link #copyRun}): the pages stay
     * in the page cache but do not stay this process's resident memory (an export of a 1 GiB layer
     * grew the process by 1.3 GiB without it).
     */
    static final long LONG_RUN = 256 << 10;
    private static final ThreadLocal<CRC32C> CRC = ThreadLocal.withInitial(CRC32C::new);
    /** The buffer a thread reads index files through (shared by every layer that thread opens). */
    private static final ThreadLocal<ByteBuffer> SCAN = ThreadLocal.withInitial(
            () -> ByteBuffer.allocateDirect(64 << 10).order(ByteOrder.LITTLE_ENDIAN));

    final String id;
    final int blockSize;
    private final int blockShift;
    private final long blocks;
    private final boolean withGens;
    private final Path dataPath;
    private final Path idxPath;
    /** Block to entry (tag: generation); null until first used. */
    private volatile BlockMap index;
    private volatile FileChannel data;
    /** The data file mapped read-only (reads of slots inside it are a memcpy); null until mapped. */
    private volatile MemorySegment mapped;
    private final List<Arena> mapArenas = new ArrayList<>();
    private FileChannel idx;
    private FileChannel readOnlyData;
    /** Set by {@link #close}: nothing is mapped or opened again. */
    private boolean closed;
    /** The data file opened for direct writes of bulk batches (null: not available, or not tried yet). */
    private FileChannel bulkDirect;
    /** The data file, to size it before a direct write past its end. */
    private RandomAccessFile bulkSizer;
    private boolean bulkDirectTried;
    private long idxLength;
    private long idxEntries;
    private long nextSlot;
    private final SlotAllocator slots = new SlotAllocator();
    private boolean dirty;
    private boolean newFiles;
    private ByteBuffer entryBuffer;
    private final List<String> openDamage = new ArrayList<>();

    private final FileOps io;
    /** Where packed layers share their mapping (null: this layer maps its own file). */
    private final PackMappings packMaps;
    /** Whether the layer's entries say its slots are in a shared pack file (known once its index is read). */
    private volatile boolean packed;
    /** The shared mapping this layer uses (given back at close), or null. */
    private volatile PackMappings.Mapping packMapping;
    /** The data file's identity (device and inode), once asked. */
    private volatile Object fileKey;

    private Layer(FileOps io, Path dir, String id, int blockSize, long blocks, boolean withGens, PackMappings packMaps) {
        this.io = io;
        this.packMaps = packMaps;
        this.id = id;
        this.blockSize = blockSize;
        this.blockShift = Integer.numberOfTrailingZeros(blockSize);
        this.blocks = blocks;
        this.withGens = withGens;
        this.dataPath = dir.resolve(id + ".dat");
        this.idxPath = dir.resolve(id + ".idx");
    }

    /** A layer with no files yet: they are created on the first write. */
    static Layer empty(FileOps io, Path dir, String id, int blockSize, long blocks, boolean withGens) {
        Layer layer = new Layer(io, dir, id, blockSize, blocks, withGens, null);
        layer.index = new BlockMap();
        return layer;
    }

    /**
     * A layer over existing files (if any). With {@code repair} (only the holder of a volume's
     * lock, for the volume's own layer) its index is replayed now, a torn tail entry and data
     * past the last live slot are cut off and a mostly dead index is compacted; without it
     * nothing is read until the layer is used, the files are left as they are (another process
     * may be reading them), a torn tail entry is skipped and the next entry written overwrites it.
     */
    static Layer open(FileOps io, Path dir, String id, int blockSize, long blocks, boolean withGens, boolean repair) {
        return open(io, dir, id, blockSize, blocks, withGens, repair, null);
    }

    /** {@link #open(FileOps, Path, String, int, long, boolean, boolean)}; a packed layer maps its pack through {@code packMaps}. */
    static Layer open(FileOps io, Path dir, String id, int blockSize, long blocks, boolean withGens, boolean repair,
            PackMappings packMaps) {
        Layer layer = new Layer(io, dir, id, blockSize, blocks, withGens, packMaps);
        if (repair) {
            layer.load(true);
        }
        return layer;
    }

    /** The layer's table, replaying its index file on first use. */
    private BlockMap table() {
        BlockMap m = index;
        return m != null ? m : load(false);
    }

    /** Problems found replaying the index file (damaged entries), for verify. */
    List<String> damage() {
        table();
        return openDamage;
    }

    /**
     * Reads the index file, oldest entry first, and gives {@code sink} each intact entry (block,
     * packed value, generation). Damaged entries are reported to {@code damage} (when not null),
     * except a torn last entry, which is skipped. Returns the length of the intact prefix.
     */
    private long scan(FileChannel channel, EntrySink sink, List<String> damage) throws IOException {
        long length = channel.size();
        ByteBuffer buf = SCAN.get();
        long pos = 0;
        long valid = 0;
        CRC32C crc = CRC.get();
        while (pos + ENTRY <= length) {
            buf.clear();
            long n = Math.min(buf.capacity(), (length - pos) / ENTRY * ENTRY);
            buf.limit((int) n);
            while (buf.hasRemaining()) {
                if (channel.read(buf, pos + buf.position()) < 0) {
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
                    if (damage != null) {
                        damage.add("index entry at byte " + (pos + at) + " is damaged (checksum or magic)");
                    }
                    buf.position(at + ENTRY);
                    continue;
                }
                if (IndexEntry.packed(buf, at)) {
                    packed = true;
                }
                sink.accept(block, IndexEntry.value(buf, at), IndexEntry.gen(buf, at));
                valid = pos + at + ENTRY;
                buf.position(at + ENTRY);
            }
            if (n == 0) {
                break;
            }
            pos += n;
        }
        return valid;
    }

    /** Receives one intact entry of {@link #scan}. */
    @FunctionalInterface
    private interface EntrySink {
        void accept(long block, long value, int gen);
    }

    /**
     * Calls {@code action(block, entry)} for the layer's entries as recorded (a block may come
     * more than once; the last one counts), without building the layer's table when it has none.
     */
    void replay(LayerStack.EntryVisitor action) {
        BlockMap m = index;
        if (m != null) {
            m.forEachUnordered((block, value, tag) -> action.accept(block, value));
            return;
        }
        try (FileChannel channel = FileChannel.open(idxPath, StandardOpenOption.READ)) {
            scan(channel, (block, value, gen) -> action.accept(block, value), null);
        } catch (NoSuchFileException e) {
            return; // never written
        } catch (IOException e) {
            throw new BlockDeviceException.Io("layer " + id, "read of the index", e);
        }
        mapForRead();
    }

    private synchronized BlockMap load(boolean repair) {
        if (index != null) {
            return index;
        }
        BlockMap table = new BlockMap();
        if (!Files.exists(idxPath)) {
            index = table;
            return table;
        }
        try {
            FileChannel channel = repair ? FileChannel.open(idxPath, StandardOpenOption.READ, StandardOpenOption.WRITE)
                    : FileChannel.open(idxPath, StandardOpenOption.READ);
            long[] entries = {0};
            long valid;
            try {
                valid = scan(channel, (block, value, gen) -> {
                    table.put(block, value, withGens ? gen : 0);
                    entries[0]++;
                }, openDamage);
                if (repair && valid < channel.size() && openDamage.isEmpty()) {
                    channel.truncate(valid);
                }
            } finally {
                if (repair) {
                    idx = channel;
                } else {
                    channel.close();
                }
            }
            idxEntries = entries[0];
            idxLength = valid;
            RoaringBitmap live = new RoaringBitmap();
            long[] max = {-1};
            table.forEachUnordered((block, value, tag) -> {
                long s = value >>> 32;
                if (s != ZERO_SLOT) {
                    live.add((int) (s - 1));
                    max[0] = Math.max(max[0], s - 1);
                }
            });
            nextSlot = max[0] + 1;
            for (long s = 0; s < nextSlot && !packed; s++) { // a packed layer's gaps are other layers' slots
                if (!live.contains((int) s)) {
                    slots.free(s);
                }
            }
            if (repair && !packed) {
                data = FileChannel.open(dataPath, StandardOpenOption.READ, StandardOpenOption.WRITE,
                        StandardOpenOption.CREATE);
                if (data.size() > nextSlot << blockShift) {
                    data.truncate(nextSlot << blockShift); // data of writes whose entry never made it
                }
                if (idxEntries > 2 * table.count() + 1024) {
                    compact(table);
                }
            }
            index = table;
        } catch (IOException e) {
            throw new BlockDeviceException.Io("layer " + id, "open", e);
        }
        mapForRead();
        return table;
    }

    /** Maps the data file at first read if nothing is mapped yet (the file is opened for the mapping only). */
    private synchronized void mapForRead() {
        if (mapped != null) {
            return;
        }
        if (data != null) {
            remap();
            return;
        }
        try (FileChannel channel = FileChannel.open(dataPath, StandardOpenOption.READ)) {
            map(channel);
        } catch (NoSuchFileException e) {
            // no data yet
        } catch (IOException e) {
            throw new BlockDeviceException.Io("layer " + id, "open of the data file", e);
        }
    }

    /** Rewrites the index log with only the live entries (write new, fsync, rename). */
    private void compact(BlockMap table) throws IOException {
        Path tmp = idxPath.resolveSibling(id + ".idx.tmp");
        io.before(FileOps.Op.CREATE, tmp);
        io.before(FileOps.Op.WRITE, tmp);
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer e = entryBuffer();
            long[] pos = {0};
            IOException[] failure = {null};
            table.forEachUnordered((block, value, tag) -> {
                try {
                    IndexEntry.encode(e, block, value, tag, packed);
                    while (e.hasRemaining()) {
                        pos[0] += out.write(e, pos[0]);
                    }
                } catch (IOException x) {
                    failure[0] = x;
                }
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
        idxEntries = table.count();
    }

    private ByteBuffer entryBuffer() {
        if (entryBuffer == null) {
            entryBuffer = ByteBuffer.allocateDirect(ENTRY).order(ByteOrder.LITTLE_ENDIAN);
        }
        return entryBuffer;
    }

    /** Whether the layer's own table is built (a layer read only through a flat index has none). */
    boolean tableLoaded() {
        return index != null;
    }

    /** The packed entry of {@code block} in this layer, 0 if absent. */
    long entry(long block) {
        return table().get(block);
    }

    boolean has(long block) {
        return table().get(block) != 0;
    }

    /** The first block at or after {@code from} that this layer holds (data or explicit zero), or -1. */
    long nextBlock(long from) {
        return table().nextPresent(from);
    }

    /** The generation recorded with the block (copy-on-write live layers), or -1. */
    int gen(long block) {
        return withGens ? table().tag(block, -1) : -1;
    }

    long blockCount() {
        return table().count();
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
    synchronized void remap() {
        FileChannel channel = data;
        if (channel != null) {
            map(channel);
        }
    }

    private void map(FileChannel channel) {
        map(channel, false);
    }

    /** Maps the data file as {@link #remap} does; {@code whole}: whenever it has grown at all. */
    private void map(FileChannel channel, boolean whole) {
        try {
            if (packed && packMaps != null) {
                if (packMapping == null) {
                    // one mapping per pack, made once: slots appended later (merges) are read with pread
                    packMapping = packMaps.acquire(channel, dataPath);
                    if (packMapping != null) {
                        mapped = packMapping.segment();
                    }
                }
                return;
            }
            long size = channel.size();
            MemorySegment current = mapped;
            long have = current == null ? 0 : current.byteSize();
            if (size == 0 || (whole ? size <= have : size < have + (have >>> 1) + blockSize)) {
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
        FileChannel channel = readChannel();
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

    /**
     * Reads {@code count} consecutive slots starting at the slot of {@code entry} into
     * {@code dst} ({@code count} blocks long) in one copy from the mapping (a run of
     * {@value #LONG_RUN} bytes or more read ahead first and unmapped after), or one positioned
     * read when they lie outside it. Checks nothing: the caller checks each block's CRC32C.
     */
    void readSlots(long entry, int count, MemorySegment dst) {
        long slot = (entry >>> 32) - 1;
        long position = slot << blockShift;
        long length = (long) count << blockShift;
        MemorySegment map = mapped;
        if (map != null && position + length <= map.byteSize()) {
            copyRun(map.asSlice(position, length), dst);
            return;
        }
        ByteBuffer buffer = dst.asSlice(0, length).asByteBuffer();
        FileChannel channel = readChannel();
        try {
            while (buffer.hasRemaining()) {
                if (channel.read(buffer, position + buffer.position()) < 0) {
                    break; // short file: the CRC checks will fail
                }
            }
        } catch (IOException e) {
            throw new BlockDeviceException.Io("layer " + id, "read of slots " + slot + "-" + (slot + count - 1), e);
        }
        if (buffer.hasRemaining()) {
            dst.asSlice(buffer.position(), length - buffer.position()).fill((byte) 0);
        }
    }

    /**
     * Copies the mapped run {@code slots} into {@code dst}; a run of {@value #LONG_RUN} bytes or more
     * is read ahead first and unmapped from this process after the copy.
     */
    static void copyRun(MemorySegment slots, MemorySegment dst) {
        long length = slots.byteSize();
        if (length < LONG_RUN) {
            MemorySegment.copy(slots, 0, dst, 0, length);
            return;
        }
        // one readahead of the whole run (madvise WILLNEED) instead of a page fault per few pages: a layer
        // written with direct I/O, or long ago, is not in the page cache; a positioned read of a cold run
        // from several threads was twice as slow
        slots.load();
        MemorySegment.copy(slots, 0, dst, 0, length);
        slots.unload(); // madvise(DONTNEED): the pages leave this process's RSS, not the page cache
    }

    /**
     * The channel a read outside the mapping goes through: the writer's, or one opened for reads
     * (only when the data file could not be mapped, or grew since: kept until the layer closes).
     */
    private FileChannel readChannel() {
        FileChannel channel = data;
        return channel != null ? channel : openForRead();
    }

    private synchronized FileChannel openForRead() {
        if (data == null) {
            try {
                data = FileChannel.open(dataPath, StandardOpenOption.READ);
            } catch (IOException e) {
                throw new BlockDeviceException.Io("layer " + id, "open of the data file", e);
            }
        }
        return data;
    }

    /**
     * Calls {@code action(block, entry)} for every block in this layer, ascending (sorts a copy
     * of the block numbers: 8 bytes a block for the call; the action may add blocks to any layer).
     */
    void forEach(LongBinaryOperator action) {
        table().forEach(action);
    }

    /** Calls {@code action(block, entry)} for every block in this layer, in no order, copying nothing; the action must not add blocks to this layer. */
    void forEachUnordered(LongBinaryOperator action) {
        table().forEachUnordered((block, value, tag) -> action.applyAsLong(block, value));
    }

    /**
     * Stores one block (journal thread only). {@code data} is exactly one block, or null for an
     * explicit zero block. Returns the block's new entry; {@link #ENTRY} bytes of metadata were written.
     */
    long put(long block, MemorySegment data, int gen) {
        BlockMap table = table();
        try {
            ensureFiles();
            long value;
            if (data == null) {
                value = ZERO_SLOT << 32;
            } else {
                long slot = packed ? packedSlot() : allocateSlot();
                ByteBuffer buffer = data.asByteBuffer();
                long position = slot << blockShift;
                io.before(FileOps.Op.WRITE, dataPath);
                while (buffer.hasRemaining()) {
                    this.data.write(buffer, position + buffer.position());
                }
                value = ((slot + 1) << 32) | Integer.toUnsignedLong(crc(data));
            }
            ByteBuffer e = entryBuffer;
            IndexEntry.encode(e, block, value, gen, packed);
            io.before(FileOps.Op.WRITE, idxPath);
            while (e.hasRemaining()) {
                idxLength += idx.write(e, idxLength);
            }
            idxEntries++;
            long old = table.put(block, value, withGens ? gen : 0);
            if (old != 0 && !isZero(old) && !packed) {
                slots.freeAfterSync((old >>> 32) - 1);
            }
            dirty = true;
            return value;
        } catch (IOException e) {
            throw new BlockDeviceException.Io("layer " + id, "write of block " + block, e);
        }
    }

    /**
     * Records {@code block} in the next fresh slot for a {@link LayerBulk} load and encodes its
     * index entry into {@code entry}; returns the slot. The layer must have no free slots.
     */
    long bulkSlot(long block, int crc, int gen, ByteBuffer entry) {
        BlockMap table = table();
        if (slots.hasFree()) {
            throw new IllegalStateException("layer " + id + " is not fresh");
        }
        long slot = nextSlot++;
        long value = ((slot + 1) << 32) | Integer.toUnsignedLong(crc);
        IndexEntry.encode(entry, block, value, gen);
        table.put(block, value, withGens ? gen : 0);
        return slot;
    }

    /** Records {@code block} as an explicit zero (no data) for a {@link LayerBulk} load and encodes its entry into {@code entry}. */
    void bulkZero(long block, int gen, ByteBuffer entry) {
        long value = ZERO_SLOT << 32;
        IndexEntry.encode(entry, block, value, gen);
        table().put(block, value, withGens ? gen : 0);
    }

    /** Writes a {@link LayerBulk} batch: the data of slots from {@code firstSlot} on, then their {@code count} entries. */
    void bulkWrite(ByteBuffer blocks, long firstSlot, ByteBuffer entries, int count) {
        try {
            ensureFiles();
            long position = firstSlot << blockShift;
            io.before(FileOps.Op.WRITE, dataPath);
            writeBulkData(blocks, position);
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

    /**
     * Writes a bulk batch's data at {@code position}: directly ({@code O_DIRECT}, no copy into
     * the page cache, little left for the commit's fsync) when the file system takes it and the
     * batch is aligned, else, or if a direct write is refused, through the page cache. Nobody
     * reads a layer while it is loaded in bulk, so the page cache holds nothing of it to go stale.
     */
    private void writeBulkData(ByteBuffer blocks, long position) throws IOException {
        if (!bulkDirectTried) {
            bulkDirectTried = true;
            bulkDirect = DirectIo.openForWrite(dataPath);
            if (bulkDirect != null) {
                bulkSizer = new RandomAccessFile(dataPath.toFile(), "rw");
            }
        }
        int start = blocks.position();
        if (bulkDirect != null && DirectIo.aligned(position, blocks)) {
            try {
                long end = position + blocks.remaining();
                if (end > bulkSizer.length()) {
                    // size the file first: a direct write that extends it waits for a journal commit on ext4
                    bulkSizer.setLength(end);
                }
                while (blocks.hasRemaining()) {
                    bulkDirect.write(blocks, position + blocks.position() - start);
                }
                return;
            } catch (IOException e) {
                closeBulkDirect(); // refused after all (an unusual sector size): the page cache it is
                blocks.position(start);
            }
        }
        while (blocks.hasRemaining()) {
            data.write(blocks, position + blocks.position() - start);
        }
    }

    private void closeBulkDirect() throws IOException {
        FileChannel d = bulkDirect;
        RandomAccessFile sizer = bulkSizer;
        bulkDirect = null;
        bulkSizer = null;
        try {
            if (d != null) {
                d.close();
            }
        } finally {
            if (sizer != null) {
                sizer.close();
            }
        }
    }

    /** Re-records the generation of a block without touching its data (copy-on-write relabelling). */
    int relabel(long block, int gen) {
        BlockMap table = table();
        long value = table.get(block);
        if (value == 0) {
            return 0;
        }
        try {
            ensureFiles();
            ByteBuffer e = entryBuffer;
            IndexEntry.encode(e, block, value, gen, packed);
            io.before(FileOps.Op.WRITE, idxPath);
            while (e.hasRemaining()) {
                idxLength += idx.write(e, idxLength);
            }
            idxEntries++;
            table.retag(block, gen);
            dirty = true;
            return ENTRY;
        } catch (IOException e) {
            throw new BlockDeviceException.Io("layer " + id, "relabel of block " + block, e);
        }
    }

    /**
     * A fresh slot of a packed layer: the first one past the end of the shared pack file, which
     * every layer linking it appends to (one writer: the journal thread, under the catalog lock).
     */
    private long packedSlot() throws IOException {
        long slot = (data.size() + blockSize - 1) >>> blockShift;
        if (slot >= 0xFFFF_FFFEL) {
            throw new BlockDeviceException("layer " + id + ": more than 2^32-2 block slots in its pack");
        }
        return slot;
    }

    /**
     * The store's mapping of the pack file this layer's slots are in (slot {@code s} at byte
     * {@code s * blockSize}), or null when the layer is not packed or not mapped yet. Valid while
     * the layer is open.
     */
    MemorySegment sharedMapping() {
        PackMappings.Mapping m = packMapping;
        return m == null ? null : m.segment();
    }

    /**
     * The identity of this layer's data file (its device and inode: packed layers that share a
     * pack share it), asked once and then remembered; null when the file system gives none or the
     * file does not exist.
     */
    Object dataFileKey() {
        Object key = fileKey;
        if (key == null) {
            try {
                key = Files.readAttributes(dataPath, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
            } catch (IOException e) {
                return null;
            }
            fileKey = key;
        }
        return key;
    }

    /** Whether this layer's slots are in a pack file shared with other layers (reads its index if not read yet). */
    boolean packed() {
        table();
        return packed;
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

    /**
     * Opens the files for writing (creating them if new); the table is loaded, so {@link #idxLength}
     * is known. The first write to every fresh layer (after each snapshot) comes here: no exception
     * and no extra system call in that case (a {@code createDirectories} per call threw and caught
     * two exceptions, as the directory exists, on the journal thread).
     */
    private void ensureFiles() throws IOException {
        entryBuffer();
        if (idx == null) {
            io.before(FileOps.Op.CREATE, dataPath);
            FileChannel d;
            try {
                d = FileChannel.open(dataPath, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE);
            } catch (NoSuchFileException e) {
                Files.createDirectories(dataPath.getParent()); // the layers directory went away: make it again
                d = FileChannel.open(dataPath, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE);
            }
            readOnlyData = data; // a channel of openForRead, maybe in use by a reader: closed with the layer
            data = d;
            io.before(FileOps.Op.CREATE, idxPath);
            try {
                idx = FileChannel.open(idxPath, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW);
                newFiles = true; // the directory is fsynced with the next force(), not on this write
            } catch (FileAlreadyExistsException e) {
                idx = FileChannel.open(idxPath, StandardOpenOption.READ, StandardOpenOption.WRITE); // a layer written again
            }
        }
    }

    /**
     * Gives back the descriptors of a layer no longer written (a snapshot froze it), so that a
     * chain of many snapshots does not hold two open files per layer: maps the whole data file
     * first (reads then need no descriptor), then closes the data and index files. Its pages
     * stay in the page cache, dirty or not: {@link #force} opens the files again for its fsync,
     * and a later write (a merge into this layer) reopens them for good. The caller keeps every
     * reader of this process out (a read may be using the data file): the store's exclusive
     * section.
     */
    synchronized void closeFiles() {
        if (closed || data == null || idx == null) {
            return;
        }
        try {
            closeBulkDirect();
            map(data, true);
            data.close();
            idx.close();
            if (readOnlyData != null) {
                readOnlyData.close();
            }
        } catch (IOException e) {
            throw new BlockDeviceException.Io("layer " + id, "close of its files", e);
        } finally {
            data = null;
            idx = null;
            readOnlyData = null;
        }
    }

    /**
     * fsyncs data then index (so a durable entry never points at data that is not), and the
     * directory if the files are new; recycles freed slots.
     */
    void force() {
        if (forceFiles()) {
            fsyncDirectory();
            directorySynced();
        }
    }

    /**
     * {@link #force} but for the directory: returns true when the files are new, and then the
     * caller fsyncs the {@link #directory} ({@link #fsyncDirectory}, once for any number of layers
     * in it) and calls {@link #directorySynced}.
     */
    boolean forceFiles() {
        if (!dirty) {
            return newFiles;
        }
        try {
            io.before(FileOps.Op.FSYNC, dataPath);
            if (data == null || idx == null) { // closed by closeFiles: an fsync through any descriptor syncs the file
                forceClosed();
            } else {
                data.force(false);
                io.before(FileOps.Op.FSYNC, idxPath);
                idx.force(false);
            }
        } catch (IOException e) {
            throw new BlockDeviceException.Io("layer " + id, "fsync", e);
        }
        slots.synced();
        dirty = false;
        remap();
        return newFiles;
    }

    /** The directory holding the layer's files. */
    Path directory() {
        return idxPath.getParent();
    }

    /** fsyncs the directory holding the layer's files (their entries). */
    void fsyncDirectory() {
        Catalog.fsyncDirectory(io, directory());
    }

    /** The directory was fsynced after the files were: their entries are durable. */
    void directorySynced() {
        newFiles = false;
    }

    /** {@link #force} of files {@link #closeFiles} closed: opened read-only for the fsync only. */
    private void forceClosed() throws IOException {
        try (FileChannel d = FileChannel.open(dataPath, StandardOpenOption.READ)) {
            d.force(false);
        } catch (NoSuchFileException e) {
            // no block was ever written to it: nothing to sync
        }
        io.before(FileOps.Op.FSYNC, idxPath);
        try (FileChannel i = FileChannel.open(idxPath, StandardOpenOption.READ)) {
            i.force(false);
        }
    }

    synchronized void close() {
        closed = true;
        mapped = null;
        for (Arena arena : mapArenas) {
            arena.close();
        }
        mapArenas.clear();
        if (packMapping != null) {
            packMaps.release(packMapping.key());
            packMapping = null;
        }
        try {
            if (data != null) {
                data.close();
            }
            if (idx != null) {
                idx.close();
            }
            if (readOnlyData != null) {
                readOnlyData.close();
            }
            closeBulkDirect();
        } catch (IOException e) {
            throw new BlockDeviceException.Io("layer " + id, "close", e);
        }
    }

    /** Closes and removes the layer's files (its space is returned to the file system). */
    void delete() {
        close();
        deleteFiles();
    }

    /**
     * Removes the layer's files but leaves it open: what is mapped stays readable until it is
     * closed (the layer was replaced, and open devices may still read through it).
     */
    void deleteFiles() {
        try {
            Files.deleteIfExists(dataPath);
            Files.deleteIfExists(idxPath);
        } catch (IOException e) {
            throw new BlockDeviceException.Io("layer " + id, "delete", e);
        }
    }
}
