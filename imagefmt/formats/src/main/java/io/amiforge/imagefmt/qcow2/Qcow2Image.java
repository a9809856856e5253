package io.amiforge.imagefmt.qcow2;

import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.blockdev.Extent;
import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.format.Zeros;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.roaringbitmap.longlong.Roaring64Bitmap;

/**
 * One qcow2 file, on its own: its header, L1/L2 mapping and refcounts. It answers only for its
 * own clusters (allocated data, compressed data, zero, or unallocated); resolving unallocated
 * ranges through the backing chain is {@link Qcow2Device}'s job. This is also the per-layer API
 * for importing a chain layer by layer: {@link #layerAllocation()} and {@link #readLayer}.
 *
 * <h2>Concurrency</h2>
 * Lookups and reads take no lock: L2 tables are cached in a concurrent map, and an L2 entry is
 * published only after the data it points to is written. Everything that allocates or frees
 * (new clusters, L2 tables, refcount blocks) runs under one lock. Writes into clusters that are
 * already allocated to this layer (refcount 1, the "copied" flag) go straight to the file.
 *
 * <h2>Durability</h2>
 * Data is written at once; metadata (L2 tables, L1, refcounts, header) is kept dirty in memory
 * and written by {@link #flush()} in this order: fsync data, refcounts, fsync, L2 tables and
 * L1, header, fsync. A crash before a flush can leak clusters, never point at unwritten data.
 */
public final class Qcow2Image implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Qcow2Image.class.getName());

    static final long OFFSET_MASK = 0x00ff_ffff_ffff_fe00L;
    static final long COPIED = 1L << 63;
    static final long COMPRESSED = 1L << 62;
    static final long ZERO_FLAG = 1L;
    private static final long CACHE_BYTES = 64L << 20;

    private final Qcow2File file;
    private final Qcow2Header header;
    private final boolean readOnly;
    private final List<String> warnings = new ArrayList<>();
    private final int clusterBits;
    private final int clusterSize;
    private final long clusterMask;
    private final boolean extended;
    private final int l2Bits;
    private final int l2Entries;
    private final int subclusterBits;
    private final AtomicLongArray l1;
    private final int maxCachedTables;
    private final ConcurrentHashMap<Long, long[]> l2Cache = new ConcurrentHashMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final ThreadLocal<Scratch> scratch;
    private final int csizeShift;
    private final long csizeMask;
    private final long coffsetMask;

    // Write state, guarded by lock.
    private final Qcow2Refcounts refcounts;
    private final Set<Long> dirtyL2 = new HashSet<>();
    /** Host clusters holding metadata; replaced (copy-on-write) under the lock, read without it. */
    private volatile Roaring64Bitmap metadataClusters = new Roaring64Bitmap();
    private volatile boolean corrupted;
    private volatile boolean closed;
    private boolean l1Dirty;
    private long headerReftableOffset;
    private int headerReftableClusters;
    private byte[] cowBuffer;

    private Qcow2Image(Qcow2File file, Qcow2Header header, boolean readOnly) {
        this.file = file;
        this.header = header;
        this.clusterBits = header.clusterBits;
        this.clusterSize = header.clusterSize();
        this.clusterMask = clusterSize - 1;
        this.extended = header.extendedL2();
        this.l2Entries = clusterSize / (extended ? 16 : 8);
        this.l2Bits = Integer.numberOfTrailingZeros(l2Entries);
        this.subclusterBits = clusterBits - 5;
        this.maxCachedTables = (int) Math.max(16, CACHE_BYTES / clusterSize);
        this.csizeShift = 62 - (clusterBits - 8);
        this.csizeMask = (1L << (clusterBits - 8)) - 1;
        this.coffsetMask = (1L << csizeShift) - 1;
        int l1Size = header.l1Size;
        long[] entries = new long[l1Size];
        if (l1Size > 0) {
            // Bounded: the header check put the table inside the file and under 32 MiB.
            file.readMetadata(header.l1TableOffset, l1Size * 8, "L1 table").asLongBuffer().get(entries);
        }
        this.l1 = new AtomicLongArray(entries);
        int cs = clusterSize;
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(cs));
        boolean ro = readOnly;
        if (!ro && header.corrupt()) {
            String warning = file.name() + ": image is marked corrupt (incompatible feature bit 1); opened read-only";
            warnings.add(warning);
            LOG.log(System.Logger.Level.WARNING, warning);
            ro = true;
        }
        this.readOnly = ro;
        if (!ro) {
            checkWritable();
            this.refcounts = new Qcow2Refcounts(file, header, file.size(), this::addMetadataCluster);
            this.headerReftableOffset = header.refcountTableOffset;
            this.headerReftableClusters = header.refcountTableClusters;
            collectMetadata();
            clearAutoclear();
        } else {
            this.refcounts = null;
        }
    }

    /** Opens one qcow2 file (not its backing file). A corrupt-marked image opens read-only with a warning. */
    public static Qcow2Image open(Path path, boolean readOnly) {
        FileChannel channel;
        try {
            channel = readOnly ? FileChannel.open(path, StandardOpenOption.READ)
                    : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (NoSuchFileException e) {
            throw new ImageFormatException(Kind.NOT_FOUND, "FileNotFound", path + ": no such file");
        } catch (IOException e) {
            throw new BlockDeviceException.Io(path.toString(), "cannot open", e);
        }
        try {
            Qcow2File file = new Qcow2File(path, channel);
            Qcow2Header header = readHeader(file);
            if (!readOnly && header.dirty() && !header.corrupt()) {
                LOG.log(System.Logger.Level.WARNING, path + ": image is marked dirty; rebuilding its refcounts before writing");
                Qcow2RefcountRebuild.rebuild(file, header);
                header = readHeader(file);
            }
            return new Qcow2Image(file, header, readOnly);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new BlockDeviceException.Io(path.toString(), "cannot open", e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    static Qcow2Header readHeader(Qcow2File file) {
        long size = file.size();
        ByteBuffer first = file.readMetadata(0, (int) Math.min(size, Qcow2Header.fixedLength()), "header");
        int bits = Qcow2Header.clusterBitsOf(first, file.name(), size);
        ByteBuffer cluster0 = file.readMetadata(0, (int) Math.min(size, 1L << bits), "header cluster");
        return Qcow2Header.parse(cluster0, file.name(), size);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // already failing with a better message
        }
    }

    private void checkWritable() {
        if (header.dirty()) {
            throw ImageFormatException.notWritable(file.name(), "image is marked dirty (incompatible feature bit 0, lazy refcounts "
                    + "were not written back); repair it with 'qemu-img check -r all' before writing, or open it read-only");
        }
        if (extended) {
            throw ImageFormatException.notWritable(file.name(), "writing images with extended L2 entries (subclusters) is not supported; open read-only");
        }
        if (header.nbSnapshots != 0) {
            throw ImageFormatException.notWritable(file.name(), "image has " + Integer.toUnsignedString(header.nbSnapshots)
                    + " internal snapshots; writing such images is not supported, open read-only");
        }
    }

    /** Records every metadata cluster (header, L1, refcount table and blocks, L2 tables) and rejects shared ones. */
    private void collectMetadata() {
        metadataClusters.addLong(0);
        addRange(header.l1TableOffset, (long) l1.length() * 8);
        addRange(refcounts.tableOffset, (long) refcounts.tableClusters * clusterSize);
        refcounts.forEachBlock(offset -> metadataClusters.addLong(offset >>> clusterBits));
        for (int i = 0; i < l1.length(); i++) {
            long offset = l1.get(i) & OFFSET_MASK;
            if (offset == 0) {
                continue;
            }
            if ((offset & clusterMask) != 0 || offset > file.size() - clusterSize) {
                throw badL1(i, offset);
            }
            long cluster = offset >>> clusterBits;
            if (metadataClusters.contains(cluster)) {
                throw ImageFormatException.corrupt(file.name(), "L1 entry %d (file offset 0x%x): L2 table at 0x%x overlaps other metadata (a cluster loop)"
                        .formatted(i, header.l1TableOffset + i * 8L, offset));
            }
            metadataClusters.addLong(cluster);
        }
    }

    /** Records a newly allocated metadata cluster (called under the lock). */
    private void addMetadataCluster(long offset) {
        Roaring64Bitmap copy = metadataClusters.clone();
        copy.addLong(offset >>> clusterBits);
        metadataClusters = copy;
    }

    private void addRange(long offset, long bytes) {
        for (long c = offset >>> clusterBits; c < (offset + bytes + clusterMask) >>> clusterBits; c++) {
            metadataClusters.addLong(c);
        }
    }

    /** Clears autoclear feature bits we do not maintain, before the first write (as the spec asks). */
    private void clearAutoclear() {
        if (header.version >= 3 && header.autoclearFeatures != 0) {
            ByteBuffer zero = ByteBuffer.allocate(8);
            file.writeMetadata(88, zero, "header autoclear_features");
            file.force();
        }
    }

    // ---------------------------------------------------------------- describing

    public Path path() {
        return file.path();
    }

    public Qcow2Header header() {
        return header;
    }

    /** The guest size: the header's size rounded down to whole 512-byte sectors, as qemu reads it. */
    public long virtualSize() {
        return header.size & ~511L;
    }

    public int clusterSize() {
        return clusterSize;
    }

    public boolean isReadOnly() {
        return readOnly;
    }

    /** Warnings raised while opening (for instance: corrupt image opened read-only). */
    public List<String> warnings() {
        return Collections.unmodifiableList(warnings);
    }

    /** The backing file name as stored in the header, or null. */
    public String backingFile() {
        return header.backingFile;
    }

    /** The backing file name resolved against this image's directory, or null. */
    public Path resolvedBackingFile() {
        return header.backingFile == null ? null
                : io.amiforge.imagefmt.format.BackingChain.resolve(file.path(), header.backingFile);
    }

    // ---------------------------------------------------------------- mapping

    /** Where the run at guest offset {@code pos} (inside the image) of at most {@code maxLength} bytes lives in this layer. */
    void map(long pos, long maxLength, Mapping m) {
        long cluster = pos >>> clusterBits;
        long l1Index = cluster >>> l2Bits;
        if (l1Index >= l1.length()) {
            m.set(Mapping.UNALLOCATED, 0, maxLength);
            return;
        }
        long coverageEnd = (l1Index + 1) << (l2Bits + clusterBits);
        long limit = Math.min(maxLength, coverageEnd - pos);
        long l2Offset = l1.get((int) l1Index) & OFFSET_MASK;
        if (l2Offset == 0) {
            m.set(Mapping.UNALLOCATED, 0, limit);
            return;
        }
        long[] table = l2Table((int) l1Index, l2Offset);
        int index = (int) (cluster & (l2Entries - 1));
        long inCluster = pos & clusterMask;
        if (extended) {
            mapExtended(table, index, inCluster, limit, l2Offset, m);
            return;
        }
        long entry = table[index];
        if ((entry & COMPRESSED) != 0) {
            m.set(Mapping.COMPRESSED, entry, Math.min(limit, clusterSize - inCluster));
            return;
        }
        long code = classify(entry, l2Offset, index);
        long length = clusterSize - inCluster;
        long next = (code & ~3L) + clusterSize;
        int kind = (int) (code & 3);
        while (length < limit && ++index < l2Entries) {
            long e = table[index];
            if ((e & COMPRESSED) != 0) {
                break;
            }
            long c = classify(e, l2Offset, index);
            if ((int) (c & 3) != kind || (kind == Mapping.DATA && (c & ~3L) != next)) {
                break;
            }
            next += clusterSize;
            length += clusterSize;
        }
        long host = kind == Mapping.DATA ? (code & ~3L) + inCluster : 0;
        m.set(kind, host, Math.min(length, limit));
    }

    /** Standard (non-compressed) L2 entry to {@code hostOffset | kind}; host offsets are 512-aligned. */
    private long classify(long entry, long l2Offset, int index) {
        if ((entry & ZERO_FLAG) != 0) {
            return Mapping.ZERO;
        }
        long offset = entry & OFFSET_MASK;
        if (offset == 0) {
            return Mapping.UNALLOCATED;
        }
        if ((offset & clusterMask) != 0) {
            throw badL2(l2Offset, index, "data cluster offset 0x%x is not cluster-aligned".formatted(offset));
        }
        if (offset >= file.size()) {
            throw badL2(l2Offset, index, "data cluster offset 0x%x lies beyond the end of the file (size 0x%x)"
                    .formatted(offset, file.size()));
        }
        return offset | Mapping.DATA;
    }

    private void mapExtended(long[] table, int index, long inCluster, long limit, long l2Offset, Mapping m) {
        long entry = table[2 * index];
        if ((entry & COMPRESSED) != 0) {
            m.set(Mapping.COMPRESSED, entry, Math.min(limit, clusterSize - inCluster));
            return;
        }
        int sub = (int) (inCluster >>> subclusterBits);
        long subSize = 1L << subclusterBits;
        long code = classifySub(entry, table[2 * index + 1], sub, l2Offset, index);
        int kind = (int) (code & 3);
        long length = subSize - (inCluster & (subSize - 1));
        long next = (code & ~3L) + subSize;
        while (length < limit) {
            if (++sub == 32) {
                sub = 0;
                if (++index >= l2Entries) {
                    break;
                }
                entry = table[2 * index];
                if ((entry & COMPRESSED) != 0) {
                    break;
                }
            }
            long c = classifySub(entry, table[2 * index + 1], sub, l2Offset, index);
            if ((int) (c & 3) != kind || (kind == Mapping.DATA && (c & ~3L) != next)) {
                break;
            }
            next += subSize;
            length += subSize;
        }
        long host = kind == Mapping.DATA ? (code & ~3L) + (inCluster & (subSize - 1)) : 0;
        m.set(kind, host, Math.min(length, limit));
    }

    private long classifySub(long entry, long bitmap, int sub, long l2Offset, int index) {
        boolean allocated = ((bitmap >>> sub) & 1) != 0;
        boolean zero = ((bitmap >>> (32 + sub)) & 1) != 0;
        if (allocated && zero) {
            throw badL2(l2Offset, index, "subcluster %d is marked both allocated and zero".formatted(sub));
        }
        if (zero) {
            return Mapping.ZERO;
        }
        if (!allocated) {
            return Mapping.UNALLOCATED;
        }
        long offset = entry & OFFSET_MASK;
        if (offset == 0 || (offset & clusterMask) != 0) {
            throw badL2(l2Offset, index, "subcluster %d is allocated but the cluster offset 0x%x is not a valid cluster offset"
                    .formatted(sub, offset));
        }
        if (offset >= file.size()) {
            throw badL2(l2Offset, index, "data cluster offset 0x%x lies beyond the end of the file (size 0x%x)"
                    .formatted(offset, file.size()));
        }
        return (offset + ((long) sub << subclusterBits)) | Mapping.DATA;
    }

    private long[] l2Table(int l1Index, long offset) {
        long[] table = l2Cache.get(offset);
        if (table != null) {
            return table;
        }
        if ((offset & clusterMask) != 0 || offset > file.size() - clusterSize) {
            throw badL1(l1Index, offset);
        }
        table = new long[clusterSize / 8];
        file.readMetadata(offset, clusterSize, "L2 table").asLongBuffer().get(table);
        lock.lock();
        try {
            long[] raced = l2Cache.putIfAbsent(offset, table);
            if (raced != null) {
                return raced;
            }
            if (l2Cache.size() > maxCachedTables) {
                evictOneClean(offset);
            }
        } finally {
            lock.unlock();
        }
        return table;
    }

    private void evictOneClean(long keep) {
        for (Long key : l2Cache.keySet()) {
            if (key != keep && !dirtyL2.contains(key)) {
                l2Cache.remove(key);
                return;
            }
        }
    }

    private ImageFormatException badL1(int index, long offset) {
        String problem = (offset & clusterMask) != 0 ? "is not cluster-aligned"
                : "lies beyond the end of the file (size 0x%x)".formatted(file.size());
        return ImageFormatException.corrupt(file.name(), "L1 entry %d (file offset 0x%x): L2 table offset 0x%x %s"
                .formatted(index, header.l1TableOffset + index * 8L, offset, problem));
    }

    private ImageFormatException badL2(long l2Offset, int index, String problem) {
        return ImageFormatException.corrupt(file.name(), "L2 entry %d (file offset 0x%x): %s"
                .formatted(index, l2Offset + (long) index * (extended ? 16 : 8), problem));
    }

    // ---------------------------------------------------------------- reading

    void readData(long host, MemorySegment dst) {
        file.read(host, dst);
    }

    /** Reads {@code dst.byteSize()} bytes at {@code inCluster} of the compressed cluster {@code descriptor}. */
    void readCompressed(long descriptor, long inCluster, MemorySegment dst) {
        Scratch s = scratch.get();
        if (s.descriptor != descriptor || !s.valid) {
            decompress(descriptor, s);
        }
        MemorySegment.copy(s.outSegment, inCluster, dst, 0, dst.byteSize());
    }

    private void decompress(long descriptor, Scratch s) {
        s.valid = false;
        long offset = descriptor & coffsetMask;
        long sectors = ((descriptor >>> csizeShift) & csizeMask) + 1;
        long size = sectors * 512 - (offset & 511);
        long fileSize = file.size();
        if (offset >= fileSize) {
            throw ImageFormatException.corrupt(file.name(), "compressed cluster at file offset 0x%x lies beyond the end of the file (size 0x%x)"
                    .formatted(offset, fileSize));
        }
        int length = (int) Math.min(size, fileSize - offset);
        ByteBuffer in = ByteBuffer.wrap(s.in, 0, length);
        file.read(offset, in);
        Inflater inflater = s.inflater;
        inflater.reset();
        inflater.setInput(s.in, 0, length);
        int produced = 0;
        try {
            while (produced < clusterSize) {
                int n = inflater.inflate(s.out, produced, clusterSize - produced);
                if (n == 0 && (inflater.finished() || inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                produced += n;
            }
        } catch (DataFormatException e) {
            throw ImageFormatException.corrupt(file.name(), "compressed cluster at file offset 0x%x (%d bytes) is not valid deflate data: %s"
                    .formatted(offset, length, e.getMessage()));
        }
        if (produced < clusterSize) {
            throw ImageFormatException.corrupt(file.name(), "compressed cluster at file offset 0x%x decompresses to %d bytes, expected %d"
                    .formatted(offset, produced, clusterSize));
        }
        s.descriptor = descriptor;
        s.valid = true;
    }

    /**
     * Reads this layer's own content: allocated and compressed data as stored, zero clusters
     * and unallocated ranges as zeros (the backing file is not consulted).
     */
    public void readLayer(long offset, MemorySegment dst) {
        if (offset < 0 || offset > virtualSize() - dst.byteSize()) {
            throw new BlockDeviceException.OutOfRange(file.name(), offset, dst.byteSize(), virtualSize());
        }
        Mapping m = new Mapping();
        long done = 0;
        while (done < dst.byteSize()) {
            long pos = offset + done;
            map(pos, dst.byteSize() - done, m);
            MemorySegment part = dst.asSlice(done, m.length);
            switch (m.kind) {
                case Mapping.DATA -> readData(m.host, part);
                case Mapping.COMPRESSED -> readCompressed(m.host, pos & clusterMask, part);
                default -> part.fill((byte) 0);
            }
            done += m.length;
        }
    }

    /**
     * The guest ranges this one file answers for, in order: {@link Extent.Kind#DATA} (stored or
     * compressed data) and {@link Extent.Kind#ZERO} (zero clusters), adjacent runs merged.
     * Unallocated ranges (which a chain reads from the backing file) are left out. Ranges are
     * cluster-aligned, or subcluster-aligned for images with extended L2 entries; the last one
     * ends at the virtual size.
     */
    public List<Extent> layerAllocation() {
        List<Extent> extents = new ArrayList<>();
        Mapping m = new Mapping();
        long pos = 0;
        long size = virtualSize();
        while (pos < size) {
            map(pos, size - pos, m);
            Extent.Kind kind = switch (m.kind) {
                case Mapping.DATA, Mapping.COMPRESSED -> Extent.Kind.DATA;
                case Mapping.ZERO -> Extent.Kind.ZERO;
                default -> null;
            };
            if (kind != null) {
                Extent last = extents.isEmpty() ? null : extents.getLast();
                if (last != null && last.kind() == kind && last.end() == pos) {
                    extents.set(extents.size() - 1, new Extent(last.offset(), last.length() + m.length, kind));
                } else {
                    extents.add(new Extent(pos, m.length, kind));
                }
            }
            pos += m.length;
        }
        return extents;
    }

    // ---------------------------------------------------------------- writing

    /** Reads the content below this layer (the backing chain) for copy-on-write. */
    @FunctionalInterface
    interface Below {
        void read(long offset, MemorySegment dst);
    }

    /** Writes {@code src} at guest offset {@code offset} (the caller checked the range). */
    void write(long offset, MemorySegment src, Below below) {
        requireWritable();
        long length = src.byteSize();
        long done = 0;
        while (done < length) {
            long pos = offset + done;
            long inCluster = pos & clusterMask;
            long n = Math.min(length - done, clusterSize - inCluster);
            long host = inPlaceHost(pos);
            if (host != 0) {
                file.write(host + inCluster, src.asSlice(done, n));
                done += n;
                continue;
            }
            lock.lock();
            try {
                done += allocatingWrite(pos, src, done, below);
            } finally {
                lock.unlock();
            }
        }
    }

    /** The host cluster of {@code pos} when it may be written in place (refcount 1), else 0. */
    private long inPlaceHost(long pos) {
        long cluster = pos >>> clusterBits;
        long l1Index = cluster >>> l2Bits;
        long l1Entry = l1.get((int) l1Index);
        long l2Offset = l1Entry & OFFSET_MASK;
        if (l2Offset == 0 || (l1Entry & COPIED) == 0) {
            return 0;
        }
        long entry = l2Table((int) l1Index, l2Offset)[(int) (cluster & (l2Entries - 1))];
        if ((entry & (COPIED | COMPRESSED | ZERO_FLAG)) != COPIED) {
            return 0;
        }
        long host = entry & OFFSET_MASK;
        if (host == 0 || (host & clusterMask) != 0) {
            return 0;
        }
        if (metadataClusters.contains(host >>> clusterBits)) {
            throw signalCorruption("L2 entry for guest offset 0x%x points at host cluster 0x%x, which holds metadata".formatted(pos, host));
        }
        return host;
    }

    /** Under the lock: writes from {@code src[done..]} at {@code pos}, allocating; returns bytes consumed. */
    private long allocatingWrite(long pos, MemorySegment src, long done, Below below) {
        long inCluster = pos & clusterMask;
        long remaining = src.byteSize() - done;
        long host = inPlaceHost(pos);
        if (host != 0) { // another writer allocated it meanwhile
            long n = Math.min(remaining, clusterSize - inCluster);
            file.write(host + inCluster, src.asSlice(done, n));
            return n;
        }
        long cluster = pos >>> clusterBits;
        int l1Index = (int) (cluster >>> l2Bits);
        long[] table = l2TableForWrite(l1Index);
        int index = (int) (cluster & (l2Entries - 1));
        long l2Offset = l1.get(l1Index) & OFFSET_MASK;
        if (inCluster == 0 && remaining >= clusterSize) {
            // Whole clusters with nothing stored: allocate a contiguous run and write it at once.
            int count = 0;
            while (count < 1024 && index + count < l2Entries && (long) (count + 1) * clusterSize <= remaining
                    && ((table[index + count] & ~ZERO_FLAG) == 0)) {
                count++;
            }
            if (count > 0) {
                long fresh = refcounts.allocate(count);
                file.write(fresh, src.asSlice(done, (long) count * clusterSize));
                for (int i = 0; i < count; i++) {
                    table[index + i] = (fresh + ((long) i << clusterBits)) | COPIED;
                }
                dirtyL2.add(l2Offset);
                boundDirtyTables();
                return (long) count * clusterSize;
            }
        }
        long n = Math.min(remaining, clusterSize - inCluster);
        long entry = table[index];
        long clusterStart = cluster << clusterBits;
        long inImage = Math.min(clusterSize, virtualSize() - clusterStart);
        if (cowBuffer == null) {
            cowBuffer = new byte[clusterSize];
        }
        MemorySegment buffer = MemorySegment.ofArray(cowBuffer);
        if (inCluster > 0 || inCluster + n < inImage) {
            fillOld(entry, l2Offset, index, clusterStart, inImage, buffer, inCluster, n, below);
        }
        if (inImage < clusterSize) {
            buffer.asSlice(inImage).fill((byte) 0);
        }
        MemorySegment.copy(src, done, buffer, inCluster, n);
        long fresh = refcounts.allocate(1);
        file.write(fresh, buffer);
        table[index] = fresh | COPIED;
        dirtyL2.add(l2Offset);
        release(entry);
        boundDirtyTables();
        return n;
    }

    /** Dirty L2 tables stay pinned in the cache; past the cache's size, write them out (a flush). */
    private void boundDirtyTables() {
        if (dirtyL2.size() > maxCachedTables) {
            flush();
        }
    }

    /** Fills {@code buffer} with the cluster's current content outside {@code [skipFrom, skipFrom+skipLength)}. */
    private void fillOld(long entry, long l2Offset, int index, long clusterStart, long inImage, MemorySegment buffer,
                         long skipFrom, long skipLength, Below below) {
        if ((entry & COMPRESSED) != 0) {
            readCompressed(entry, 0, buffer.asSlice(0, clusterSize));
            return;
        }
        long code = classify(entry, l2Offset, index);
        switch ((int) (code & 3)) {
            case Mapping.DATA -> file.read(code & ~3L, buffer.asSlice(0, inImage));
            case Mapping.ZERO -> buffer.fill((byte) 0);
            default -> {
                if (skipFrom > 0) {
                    below.read(clusterStart, buffer.asSlice(0, skipFrom));
                }
                long tail = skipFrom + skipLength;
                if (tail < inImage) {
                    below.read(clusterStart + tail, buffer.asSlice(tail, inImage - tail));
                }
            }
        }
    }

    /** Drops this layer's reference to whatever {@code entry} pointed at. */
    private void release(long entry) {
        if ((entry & COMPRESSED) != 0) {
            long offset = entry & coffsetMask;
            long sectors = ((entry >>> csizeShift) & csizeMask) + 1;
            long end = offset + sectors * 512 - (offset & 511);
            for (long c = offset & ~clusterMask; c < end; c += clusterSize) {
                refcounts.add(c, -1);
            }
            return;
        }
        long host = entry & OFFSET_MASK;
        if (host != 0) {
            refcounts.add(host, -1);
        }
    }

    private long[] l2TableForWrite(int l1Index) {
        long l1Entry = l1.get(l1Index);
        long offset = l1Entry & OFFSET_MASK;
        if (offset != 0) {
            if ((l1Entry & COPIED) == 0) {
                throw signalCorruption("L1 entry %d: L2 table at 0x%x is shared (copied flag clear) in an image without snapshots"
                        .formatted(l1Index, offset));
            }
            return l2Table(l1Index, offset);
        }
        long fresh = refcounts.allocate(1);
        addMetadataCluster(fresh);
        long[] table = new long[clusterSize / 8];
        l2Cache.put(fresh, table);
        dirtyL2.add(fresh);
        l1.set(l1Index, fresh | COPIED);
        l1Dirty = true;
        return table;
    }

    /**
     * Makes {@code [offset, offset+length)} read as zeros, releasing whole clusters: a zero
     * cluster in version 3, unallocated in version 2 when nothing lies below; partial clusters
     * (and version 2 over a backing file) are written with zeros.
     */
    void discard(long offset, long length, boolean hasBelow, Below below) {
        requireWritable();
        long end = offset + length;
        long pos = offset;
        while (pos < end) {
            long inCluster = pos & clusterMask;
            long clusterStart = pos - inCluster;
            long clusterEnd = Math.min(clusterStart + clusterSize, virtualSize());
            long n = Math.min(end, clusterStart + clusterSize) - pos;
            boolean whole = inCluster == 0 && pos + n >= clusterEnd;
            if (whole && (header.version >= 3 || !hasBelow)) {
                lock.lock();
                try {
                    long cluster = pos >>> clusterBits;
                    int l1Index = (int) (cluster >>> l2Bits);
                    long l2Offset = l1.get(l1Index) & OFFSET_MASK;
                    if (l2Offset != 0 || hasBelow) {
                        long[] table = l2TableForWrite(l1Index);
                        int index = (int) (cluster & (l2Entries - 1));
                        long old = table[index];
                        long replacement = header.version >= 3 && hasBelow ? ZERO_FLAG : 0;
                        if (old != replacement) {
                            table[index] = replacement;
                            dirtyL2.add(l1.get(l1Index) & OFFSET_MASK);
                            release(old);
                        }
                    }
                } finally {
                    lock.unlock();
                }
            } else {
                long done = 0;
                while (done < n) {
                    long k = Math.min(n - done, Zeros.CHUNK);
                    write(pos + done, Zeros.SEGMENT.asSlice(0, k), below);
                    done += k;
                }
            }
            pos += n;
        }
    }

    private void requireWritable() {
        if (readOnly) {
            throw new BlockDeviceException.ReadOnly(file.name());
        }
        if (corrupted) {
            throw ImageFormatException.notWritable(file.name(), "corruption was found earlier; further writes are refused");
        }
    }

    /** Marks the image corrupt on disk, as qemu does, and fails the operation. */
    private ImageFormatException signalCorruption(String problem) {
        corrupted = true;
        try {
            ByteBuffer bits = ByteBuffer.allocate(8).putLong(0, header.incompatibleFeatures | Qcow2Header.INCOMPAT_CORRUPT);
            if (header.version >= 3) {
                file.writeMetadata(72, bits, "header incompatible_features");
                file.force();
            }
        } catch (RuntimeException e) {
            // best effort: the error below is what matters
        }
        return ImageFormatException.corrupt(file.name(), problem + "; image marked corrupt, further writes refused");
    }

    /** Writes all dirty metadata after the data it describes (see the class comment). */
    public void flush() {
        if (readOnly) {
            return;
        }
        lock.lock();
        try {
            file.force();
            if (!refcounts.dirty() && dirtyL2.isEmpty() && !l1Dirty) {
                return;
            }
            refcounts.writeDirty();
            file.force();
            for (long offset : dirtyL2) {
                long[] table = l2Cache.get(offset);
                ByteBuffer bytes = ByteBuffer.allocate(clusterSize);
                bytes.asLongBuffer().put(table);
                file.writeMetadata(offset, bytes, "L2 table");
            }
            dirtyL2.clear();
            if (l1Dirty) {
                ByteBuffer bytes = ByteBuffer.allocate(l1.length() * 8);
                for (int i = 0; i < l1.length(); i++) {
                    bytes.putLong(i * 8, l1.get(i));
                }
                file.writeMetadata(header.l1TableOffset, bytes, "L1 table");
                l1Dirty = false;
            }
            if (refcounts.tableOffset != headerReftableOffset || refcounts.tableClusters != headerReftableClusters) {
                file.force();
                ByteBuffer fields = ByteBuffer.allocate(12).putLong(0, refcounts.tableOffset).putInt(8, refcounts.tableClusters);
                file.writeMetadata(48, fields, "header refcount_table_offset");
                headerReftableOffset = refcounts.tableOffset;
                headerReftableClusters = refcounts.tableClusters;
            }
            // The file must cover every allocated cluster, even ones allocated but not yet written.
            if (file.size() < refcounts.end()) {
                file.write(refcounts.end() - 1, ByteBuffer.allocate(1));
            }
            file.force();
        } finally {
            lock.unlock();
        }
    }

    /** Writes dirty metadata (if writable) and closes the file. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (!readOnly) {
                flush();
            }
        } finally {
            file.close();
        }
    }

    /** Per-thread buffers for decompression, so reads allocate nothing. */
    private static final class Scratch {
        final byte[] in;
        final byte[] out;
        final MemorySegment outSegment;
        final Inflater inflater = new Inflater(true);
        long descriptor;
        boolean valid;

        Scratch(int clusterSize) {
            in = new byte[2 * clusterSize + 512];
            out = new byte[clusterSize];
            outSegment = MemorySegment.ofArray(out);
        }
    }
}
