package io.amiforge.imagefmt.qcow2;

import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.blockdev.Extent;
import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.format.LayerLayout;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

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
 *
 * <p>This class wires the parts: {@code L2Tables} (L1 and cached L2 tables),
 * {@code ClusterLookup} (entries to mappings), {@code CompressedClusters}, {@code ClusterWriter}
 * (in-place and copy-on-write writes, discard), {@code MetadataClusters} (overlap checks),
 * {@code HeaderUpdates} and {@code MetadataWriteBack} (the flush order).
 */
public final class Qcow2Image implements AutoCloseable, LayerLayout {

    private static final System.Logger LOG = System.getLogger(Qcow2Image.class.getName());

    /** L1/L2 entry: host offset bits. */
    static final long OFFSET_MASK = 0x00ff_ffff_ffff_fe00L;
    /** L1/L2 entry: refcount is exactly 1, the cluster may be written in place. */
    static final long COPIED = 1L << 63;
    /** L2 entry: compressed cluster (the rest is a compressed-cluster descriptor). */
    static final long COMPRESSED = 1L << 62;
    /** Standard L2 entry: the cluster reads as zeros. */
    static final long ZERO_FLAG = 1L;

    private final Qcow2File file;
    /** Where guest data lives: {@link #file} itself, or the external data file. */
    private final Qcow2File data;
    private final Qcow2Header header;
    private final boolean readOnly;
    private final List<String> warnings = new ArrayList<>();
    private final int clusterSize;
    private final long clusterMask;
    private final ClusterLookup lookup;
    private final CompressedClusters compressed;
    /** Null when read-only. */
    private final MetadataWriteBack writeBack;
    /** Null when read-only. */
    private final ClusterWriter writer;
    private final ClusterCompressor compressor;
    private volatile boolean closed;

    private Qcow2Image(Qcow2File file, Qcow2File data, Qcow2Header header, boolean readOnly) {
        this.file = file;
        this.data = data;
        this.header = header;
        this.clusterSize = header.clusterSize();
        this.clusterMask = clusterSize - 1;
        ReentrantLock lock = new ReentrantLock();
        L2Tables tables = new L2Tables(file, header, lock);
        this.lookup = new ClusterLookup(file, data, header, tables);
        this.compressed = new CompressedClusters(file, header, readOnly);
        this.compressor = new ClusterCompressor(header);
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
            MetadataClusters metadata = new MetadataClusters(file, header);
            Qcow2Refcounts refcounts = new Qcow2Refcounts(file, header, file.size(), metadata::add);
            metadata.collect(header, refcounts, tables);
            HeaderUpdates headerUpdates = new HeaderUpdates(file, header);
            headerUpdates.clearAutoclear();
            this.writeBack = new MetadataWriteBack(file, data, lock, refcounts, tables, headerUpdates);
            this.writer = new ClusterWriter(file, data, header, lock, tables, lookup, compressed, refcounts, metadata, headerUpdates,
                    writeBack);
        } else {
            this.writeBack = null;
            this.writer = null;
        }
    }

    /**
     * Opens one qcow2 file (not its backing file). A corrupt-marked image opens read-only with a
     * warning; an image with an external data file is refused (see {@link Qcow2DataFile}).
     */
    public static Qcow2Image open(Path path, boolean readOnly) {
        return open(path, readOnly, Qcow2DataFile.NONE);
    }

    /** Opens one qcow2 file whose external data file, if it has one, is chosen by {@code dataFile}'s rule. */
    public static Qcow2Image open(Path path, boolean readOnly, Qcow2DataFile dataFile) {
        FileChannel channel = channel(path, readOnly);
        FileChannel dataChannel = null;
        try {
            Qcow2File file = new Qcow2File(path, channel);
            Qcow2Header header = readHeader(file);
            if (!readOnly && header.dirty() && !header.corrupt()) {
                LOG.log(System.Logger.Level.WARNING, path + ": image is marked dirty; rebuilding its refcounts before writing");
                Qcow2RefcountRebuild.rebuild(file, header);
                header = readHeader(file);
            }
            Qcow2File data = file;
            if (header.hasDataFile()) {
                Path dataPath = dataFile.resolve(path, header);
                dataChannel = channel(dataPath, readOnly);
                data = new Qcow2File(dataPath, dataChannel);
            }
            return new Qcow2Image(file, data, header, readOnly);
        } catch (IOException e) {
            closeQuietly(channel);
            closeQuietly(dataChannel);
            throw new BlockDeviceException.Io(path.toString(), "cannot open", e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            closeQuietly(dataChannel);
            throw e;
        }
    }

    private static FileChannel channel(Path path, boolean readOnly) {
        try {
            return readOnly ? FileChannel.open(path, StandardOpenOption.READ)
                    : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (NoSuchFileException e) {
            throw new ImageFormatException(Kind.NOT_FOUND, "FileNotFound", path + ": no such file");
        } catch (IOException e) {
            throw new BlockDeviceException.Io(path.toString(), "cannot open", e);
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
        if (channel == null) {
            return;
        }
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
        if (header.nbSnapshots != 0) {
            throw ImageFormatException.notWritable(file.name(), "image has " + Integer.toUnsignedString(header.nbSnapshots)
                    + " internal snapshots; writing such images is not supported, open read-only");
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
    // ---------------------------------------------------------------- mapping and reading

    /** Where the run at guest offset {@code pos} (inside the image) of at most {@code maxLength} bytes lives in this layer. */
    void map(long pos, long maxLength, Mapping m) {
        lookup.map(pos, maxLength, m);
    }

    void readData(long host, MemorySegment dst) {
        data.read(host, dst);
    }

    /** Reads {@code dst.byteSize()} bytes at {@code inCluster} of the compressed cluster {@code descriptor}. */
    void readCompressed(long descriptor, long inCluster, MemorySegment dst) {
        compressed.read(descriptor, inCluster, dst);
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

    /**
     * The run at {@code offset} in this file alone ({@link LayerLayout}): {@link Extent.Kind#DATA}
     * (stored or compressed), {@link Extent.Kind#ZERO} (zero clusters), or
     * {@link Extent.Kind#UNALLOCATED} (read from the backing file), as {@link #layerAllocation}.
     */
    @Override
    public Extent ownExtentAt(long offset, long maxLength) {
        if (offset < 0 || maxLength < 1 || offset >= virtualSize() || maxLength > virtualSize() - offset) {
            throw new BlockDeviceException.OutOfRange(file.name(), offset, maxLength, virtualSize());
        }
        Mapping m = new Mapping();
        map(offset, maxLength, m);
        Extent.Kind kind = switch (m.kind) {
            case Mapping.DATA, Mapping.COMPRESSED -> Extent.Kind.DATA;
            case Mapping.ZERO -> Extent.Kind.ZERO;
            default -> Extent.Kind.UNALLOCATED;
        };
        return new Extent(offset, Math.min(maxLength, m.length), kind);
    }

    /** Runs stay in one piece cluster by cluster while their host offsets follow on ({@link LayerLayout}). */
    @Override
    public long hostRunLength(long offset, long maxLength) {
        long host = hostOffset(offset);
        long cluster = clusterSize();
        long end = offset + maxLength;
        long pos = Math.min(end, (offset & -cluster) + cluster);
        while (pos < end && hostOffset(pos) == (host < 0 ? -1 : host + (pos - offset))) {
            pos = Math.min(end, pos + cluster);
        }
        return pos - offset;
    }

    /**
     * The offset in this file of guest byte {@code offset} when this layer stores it as plain
     * (uncompressed) data, else -1 (compressed, a zero cluster, or unallocated here): the
     * "offset" {@code qemu-img map} reports.
     */
    @Override
    public long hostOffset(long offset) {
        if (offset < 0 || offset >= virtualSize()) {
            throw new BlockDeviceException.OutOfRange(file.name(), offset, 1, virtualSize());
        }
        Mapping m = new Mapping();
        map(offset, 1, m);
        return m.kind == Mapping.DATA ? m.host : -1;
    }

    // ---------------------------------------------------------------- writing

    /** Reads the content below this layer (the backing chain) for copy-on-write. */
    @FunctionalInterface
    interface Below {
        void read(long offset, MemorySegment dst);
    }

    /** Writes {@code src} at guest offset {@code offset} (the caller checked the range). */
    void write(long offset, MemorySegment src, Below below) {
        writer().write(offset, src, below);
    }

    /**
     * Makes {@code [offset, offset+length)} read as zeros, releasing whole clusters: a zero
     * cluster in version 3, unallocated in version 2 when nothing lies below; partial clusters
     * (and version 2 over a backing file) are written with zeros.
     */
    void discard(long offset, long length, boolean hasBelow, Below below) {
        writer().discard(offset, length, hasBelow, below);
    }

    /**
     * Stores the whole cluster at {@code offset} (cluster-aligned; {@code cluster} one cluster
     * long, zero-padded past the end of the image) compressed in the image's compression type,
     * or as it is when compression does not make it smaller. Nothing is read from below: the
     * whole cluster is replaced.
     */
    void writeCompressed(long offset, byte[] cluster) {
        ClusterWriter w = writer();
        if (header.hasDataFile()) {
            throw ImageFormatException.notWritable(file.name(), "compressed clusters are not possible in an image with an external data file");
        }
        byte[] packed = compressor.compress(cluster);
        if (packed == null) {
            long inImage = Math.min(clusterSize(), virtualSize() - offset);
            w.write(offset, MemorySegment.ofArray(cluster).asSlice(0, inImage), (pos, dst) -> {
                throw new IllegalStateException("a whole-cluster write never reads below");
            });
        } else {
            w.writeCompressed(offset, packed, compressor.length());
        }
    }

    private ClusterWriter writer() {
        if (readOnly) {
            throw new BlockDeviceException.ReadOnly(file.name());
        }
        return writer;
    }

    /** Writes all dirty metadata after the data it describes (see the class comment). */
    public void flush() {
        if (readOnly) {
            return;
        }
        writeBack.flush();
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
            try {
                file.close();
            } finally {
                if (data != file) {
                    data.close();
                }
            }
        }
    }
}
