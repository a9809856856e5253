package io.amiforge.imagefmt.vmdk;

import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.format.ReadAheadWindow;
import io.amiforge.imagefmt.sparse.BlockMappedDevice;
import io.amiforge.imagefmt.sparse.HostFile;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * One hosted sparse extent (monolithicSparse, twoGbMaxExtentSparse, streamOptimized) as a
 * device: a grain directory points to grain tables, whose entries give each grain's sector (0
 * unallocated, 1 a zeroed grain where the header allows it). Grain tables are read when first
 * needed and checked against the file size then. In a compressed extent each grain is a
 * deflate (zlib) stream, behind a 12-byte marker (guest sector, size) when the header says so.
 *
 * <p>Writes: a plain extent allocates grains at the end of the file (and a grain table there
 * when its directory entry is empty); a compressed extent (stream-optimized) appends each grain
 * written, compressed, and rewrites a partly written grain whole. {@link #writeMetadata} writes
 * the changed grain tables of a plain extent in place; for a stream it appends every grain
 * table, the directory, the footer and the end-of-stream marker, as the stream format orders.
 */
final class VmdkSparseExtent extends BlockMappedDevice {

    private static final int MARKER_EOS = 0;
    private static final int MARKER_GT = 1;
    private static final int MARKER_GD = 2;
    private static final int MARKER_FOOTER = 3;
    /** Bytes of compressed grains a read-only extent reads ahead per thread. */
    private static final int WINDOW = 256 << 10;
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private final VmdkSparseHeader header;
    private final long gdOffset;
    private final int[] directory;
    /** Grain tables once read, by directory index; installed under the lock, read without it. */
    private final AtomicReferenceArray<int[]> tables;
    private final boolean[] tableDirty;
    private final int gtBytes;
    private final ThreadLocal<Scratch> scratch;
    private final ReadAheadWindow.FileReader reader;
    /** The largest compressed grain accepted: twice the grain, as deflate's worst case is far below. */
    private final int maxGrainBytes;
    private long nextFree;
    private boolean dirty;

    /**
     * Opens the extent in {@code file} whose grain directory is at {@code gdOffset}. A
     * compressed (stream) extent is only written when it was just created empty: a stream is
     * written once, front to back.
     */
    VmdkSparseExtent(HostFile file, VmdkSparseHeader header, long gdOffset, boolean readOnly) {
        this(file, header, gdOffset, readDirectory(file, header, gdOffset), readOnly);
    }

    /**
     * A new, empty extent whose grain directory is still to be written (a stream being created);
     * dirty from the start, so that a stream no grain is written to still gets its directory,
     * footer and end-of-stream marker on close.
     */
    static VmdkSparseExtent empty(HostFile file, VmdkSparseHeader header) {
        VmdkSparseExtent extent = new VmdkSparseExtent(file, header, 0, new int[(int) directoryEntries(header)], false);
        extent.dirty = true;
        return extent;
    }

    private VmdkSparseExtent(HostFile file, VmdkSparseHeader header, long gdOffset, int[] directory, boolean readOnly) {
        super(file, header.capacity() * 512, (int) (header.grainSize() * 512), readOnly, null);
        this.header = header;
        this.gdOffset = gdOffset;
        this.gtBytes = 4 * header.gtesPerGt();
        this.directory = directory;
        int entries = directory.length;
        this.tables = new AtomicReferenceArray<>(entries);
        this.tableDirty = new boolean[entries];
        int grain = blockBytes;
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(grain, readOnly));
        this.reader = file::read;
        this.maxGrainBytes = maxGrainBytes(grain);
        long descriptorEnd = (header.descriptorOffset() + header.descriptorSize()) * 512;
        this.nextFree = Math.max(Math.max(header.overhead() * 512, descriptorEnd), (file.size() + 511) & ~511L);
    }

    private static int maxGrainBytes(int grainBytes) {
        return 2 * grainBytes + 1024;
    }

    /** Grain directory entries: one per grain table needed to cover the capacity. */
    static long directoryEntries(VmdkSparseHeader header) {
        long gtCoverage = header.grainSize() * 512 * header.gtesPerGt();
        return (header.capacity() * 512 + gtCoverage - 1) / gtCoverage;
    }

    private static int[] readDirectory(HostFile file, VmdkSparseHeader header, long gdOffset) {
        long entries = directoryEntries(header);
        int gtBytes = 4 * header.gtesPerGt();
        ByteBuffer gd = file.readStructure(gdOffset, 4 * entries, "VMDK grain directory", ByteOrder.LITTLE_ENDIAN);
        int[] directory = new int[(int) entries];
        for (int i = 0; i < entries; i++) {
            int sector = gd.getInt(4 * i);
            if (sector != 0 && (sector & 0xffffffffL) * 512 > file.size() - gtBytes) {
                throw ImageFormatException.corrupt(file.name(),
                        "VMDK grain directory entry %d (file offset 0x%x) points to a grain table at sector %d, beyond the end of the file (size 0x%x)"
                                .formatted(i, gdOffset + 4L * i, sector & 0xffffffffL, file.size()));
            }
            directory[i] = sector;
        }
        return directory;
    }

    VmdkSparseHeader header() {
        return header;
    }

    private int[] table(int index) {
        int[] table = tables.get(index);
        if (table != null) {
            return table;
        }
        lock.lock(); // one reader loads it, so a table a writer is changing is never replaced by a fresh copy
        try {
            table = tables.get(index);
            if (table == null) {
                table = loadTable(index);
                tables.set(index, table);
            }
            return table;
        } finally {
            lock.unlock();
        }
    }

    private int[] loadTable(int index) {
        int[] table = new int[header.gtesPerGt()];
        int sector = directory[index];
        if (sector != 0) {
            long at = (sector & 0xffffffffL) * 512;
            ByteBuffer b = file.readStructure(at, gtBytes, "VMDK grain table " + index, ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < table.length; i++) {
                int entry = b.getInt(4 * i);
                if ((entry & 0xffffffffL) * 512 >= file.size() && !(entry == 1 && header.zeroedGrains())) {
                    throw ImageFormatException.corrupt(file.name(),
                            "VMDK grain table %d entry %d (file offset 0x%x) points to sector %d, beyond the end of the file (size 0x%x)"
                                    .formatted(index, i, at + 4L * i, entry & 0xffffffffL, file.size()));
                }
                table[i] = entry;
            }
        }
        return table;
    }

    @Override
    protected long lookup(long block) {
        int[] table = table((int) (block / header.gtesPerGt()));
        int entry = table[(int) (block % header.gtesPerGt())];
        if (entry == 0) {
            return UNALLOCATED;
        }
        if (entry == 1 && header.zeroedGrains()) {
            return ZERO;
        }
        return (entry & 0xffffffffL) * 512;
    }

    private void setEntry(long block, long host) {
        int index = (int) (block / header.gtesPerGt());
        if (directory[index] == 0 && !header.compressed()) {
            directory[index] = (int) (nextFree / 512); // a new grain table, zeros until written
            nextFree += (gtBytes + 511) & ~511L;
            dirty = true;
        }
        table(index)[(int) (block % header.gtesPerGt())] = (int) (host / 512);
        tableDirty[index] = true;
        dirty = true;
    }

    @Override
    protected long allocate(long block) {
        long host = nextFree;
        nextFree += blockBytes;
        setEntry(block, host);
        return host;
    }

    @Override
    protected boolean storedAsIs() {
        return !header.compressed();
    }

    /** A grain this extent does not store is not present in it (as qemu-img map says): a VMDK may link to a parent. */
    @Override
    protected boolean unallocatedIsBacking() {
        return true;
    }

    @Override
    protected boolean compressed() {
        return header.compressed();
    }

    @Override
    protected void readStored(long block, long host, int inBlock, MemorySegment dst) {
        if (!header.compressed()) {
            file.read(host + inBlock, dst);
            return;
        }
        Scratch s = scratch.get();
        if (s.host == host) {
            MemorySegment.copy(s.grainSegment, inBlock, dst, 0, dst.byteSize());
        } else if (inBlock == 0 && dst.byteSize() == blockBytes && dst.isNative()) {
            inflate(block, host, s, dst.asByteBuffer()); // a whole grain: no copy through the thread's buffer
        } else {
            s.host = -1;
            inflate(block, host, s, s.grainBuffer);
            s.host = host;
            MemorySegment.copy(s.grainSegment, inBlock, dst, 0, dst.byteSize());
        }
    }

    /** Inflates the grain {@code block} stored at {@code host} into the first grain-size bytes of {@code out}. */
    private void inflate(long block, long host, Scratch s, ByteBuffer out) {
        long dataAt = host;
        int length;
        if (header.markers()) {
            if (host > file.size() - 12) {
                throw ImageFormatException.corrupt(file.name(), "VMDK grain marker at file offset 0x%x (12 bytes) lies beyond the end of the file (size 0x%x)"
                        .formatted(host, file.size()));
            }
            int m = s.in.fetch(reader, host, 12, file.size()); // the grain after it is then read ahead with it
            long lba = (long) LONG_LE.get(s.in.bytes(), m);
            length = (int) INT_LE.get(s.in.bytes(), m + 8);
            if (lba != block * header.grainSize()) {
                throw ImageFormatException.corrupt(file.name(), "VMDK grain marker at file offset 0x%x is for sector %d, expected %d"
                        .formatted(host, lba, block * header.grainSize()));
            }
            if (length <= 0 || length > maxGrainBytes || host + 12 > file.size() - length) {
                throw ImageFormatException.corrupt(file.name(), "VMDK grain marker at file offset 0x%x: compressed size %d is out of range"
                        .formatted(host, length));
            }
            dataAt = host + 12;
        } else {
            length = (int) Math.min(maxGrainBytes, file.size() - host);
        }
        int at = s.in.fetch(reader, dataAt, length, file.size());
        Inflater inflater = s.inflater;
        inflater.reset();
        inflater.setInput(s.in.bytes(), at, length);
        ByteBuffer dst = out.duplicate().clear().limit(blockBytes);
        try {
            while (dst.hasRemaining()) {
                int n = inflater.inflate(dst);
                if (n == 0 && (inflater.finished() || inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
            }
        } catch (DataFormatException e) {
            throw ImageFormatException.corrupt(file.name(), "VMDK compressed grain at file offset 0x%x (%d bytes) is not valid zlib data: %s"
                    .formatted(dataAt, length, e.getMessage()));
        }
        while (dst.hasRemaining()) {
            dst.put((byte) 0); // a short final grain is allowed: the rest reads as zeros
        }
    }

    @Override
    protected void writeStored(long block, long host, int inBlock, MemorySegment src) {
        if (!header.compressed()) {
            super.writeStored(block, host, inBlock, src);
            return;
        }
        Scratch s = scratch.get();
        Deflater deflater = s.deflater;
        deflater.reset();
        if (inBlock == 0 && src.byteSize() == blockBytes) {
            deflater.setInput(src.asByteBuffer()); // a whole grain (image conversion): compressed where it lies
        } else {
            doRead(block * blockBytes, s.grainSegment); // the whole grain as it reads now, then the new bytes over it
            MemorySegment.copy(src, 0, s.grainSegment, inBlock, src.byteSize());
            deflater.setInput(s.grain);
        }
        s.host = -1;
        deflater.finish();
        int n = 12;
        while (!deflater.finished()) {
            n += deflater.deflate(s.out, n, s.out.length - n);
        }
        int padded = (n + 511) & ~511;
        java.util.Arrays.fill(s.out, n, padded, (byte) 0);
        ByteBuffer record = ByteBuffer.wrap(s.out, 0, padded).order(ByteOrder.LITTLE_ENDIAN);
        record.putLong(0, block * header.grainSize());
        record.putInt(8, n - 12);
        long at;
        lock.lock();
        try {
            at = nextFree;
            nextFree += padded;
            setEntry(block, at);
        } finally {
            lock.unlock();
        }
        file.write(at, record);
    }

    @Override
    protected void writeMetadata() {
        if (!dirty) {
            return;
        }
        if (header.compressed()) {
            writeStreamTrailer();
        } else {
            for (int i = 0; i < tables.length(); i++) {
                if (tableDirty[i]) {
                    file.write((directory[i] & 0xffffffffL) * 512, encode(tables.get(i), gtBytes));
                    tableDirty[i] = false;
                }
            }
            file.write(gdOffset, encode(directory, 4 * directory.length));
            if (header.rgdOffset() != 0 && (header.flags() & 2) != 0) {
                file.write(header.rgdOffset() * 512, encode(directory, 4 * directory.length));
            }
        }
        dirty = false;
    }

    /** Grain tables (each behind a marker), the directory, the footer, the end-of-stream marker. */
    private void writeStreamTrailer() {
        long pos = nextFree;
        int gtSectors = (gtBytes + 511) / 512;
        int[] gd = new int[directory.length];
        for (int i = 0; i < tables.length(); i++) {
            int[] table = tables.get(i) != null ? tables.get(i) : directory[i] != 0 ? table(i) : null;
            if (table == null || isEmpty(table)) {
                continue;
            }
            file.write(pos, marker(gtSectors, MARKER_GT));
            pos += 512;
            gd[i] = (int) (pos / 512);
            file.write(pos, encode(table, gtSectors * 512));
            pos += gtSectors * 512L;
        }
        int gdSectors = (4 * gd.length + 511) / 512;
        file.write(pos, marker(gdSectors, MARKER_GD));
        pos += 512;
        long gdSector = pos / 512;
        file.write(pos, encode(gd, gdSectors * 512));
        pos += gdSectors * 512L;
        file.write(pos, marker(1, MARKER_FOOTER));
        pos += 512;
        file.write(pos, header.withGdOffset(gdSector).encode());
        pos += 512;
        file.write(pos, marker(0, MARKER_EOS));
        pos += 512;
        if (file.size() > pos) {
            file.truncate(pos);
        }
        System.arraycopy(gd, 0, directory, 0, gd.length);
    }

    private static boolean isEmpty(int[] table) {
        for (int e : table) {
            if (e != 0) {
                return false;
            }
        }
        return true;
    }

    private static ByteBuffer marker(long sectors, int type) {
        ByteBuffer b = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, sectors);
        b.putInt(8, 0);
        b.putInt(12, type);
        return b;
    }

    private static ByteBuffer encode(int[] entries, int bytes) {
        ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < entries.length; i++) {
            b.putInt(4 * i, entries[i]);
        }
        return b;
    }

    /** Per-thread buffers for one grain, so compressed reads and writes allocate nothing. */
    private static final class Scratch {
        final byte[] grain;
        final MemorySegment grainSegment;
        final ByteBuffer grainBuffer;
        final ReadAheadWindow in;
        final byte[] out;
        final Inflater inflater = new Inflater();
        final Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION);
        long host = -1;

        Scratch(int grainBytes, boolean readAhead) {
            grain = new byte[grainBytes];
            grainSegment = MemorySegment.ofArray(grain);
            grainBuffer = ByteBuffer.wrap(grain);
            in = new ReadAheadWindow(Math.max(WINDOW, maxGrainBytes(grainBytes)), readAhead);
            out = new byte[2 * grainBytes + 1024];
        }
    }
}
