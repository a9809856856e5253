package io.amiforge.imagefmt.sparse;

import io.amiforge.blockdev.AbstractBlockDevice;
import io.amiforge.blockdev.AllocationStatus;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.blockdev.Extent;
import io.amiforge.imagefmt.format.LayerLayout;
import io.amiforge.imagefmt.format.PrescannedWrites;
import io.amiforge.imagefmt.format.Zeros;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An image whose guest space is cut into equal power-of-two blocks that a table maps to host
 * offsets (VHD's BAT, VMDK's grain tables, VHDX's BAT). A block is {@link #UNALLOCATED} (read
 * from the parent image, or zeros without one), {@link #ZERO} (reads as zeros), or stored at a
 * host offset. The first write to a block allocates it through {@link #allocate} under one
 * lock; the data itself is read and written outside the lock. Table changes are kept in memory
 * and written by {@link #writeMetadata} on {@link #flush()} and {@link #close()}.
 *
 * <p>Subclasses answer {@link #lookup}, {@link #allocate} and {@link #writeMetadata}, and may
 * override {@link #readStored} and {@link #writeStored} for blocks whose bytes are not stored
 * as they are (sector bitmaps, compressed grains), and {@link #heldRun} for blocks that hold only
 * some of their sectors.
 */
public abstract class BlockMappedDevice extends AbstractBlockDevice implements AllocationStatus, LayerLayout, PrescannedWrites {

    /** {@link #lookup}: the block is not in this image (parent's data, or zeros). */
    public static final long UNALLOCATED = -1;
    /** {@link #lookup}: the block reads as zeros. */
    public static final long ZERO = -2;

    /** The image file. */
    protected final HostFile file;
    /** The parent image (differencing images), or null. */
    protected final BlockDevice parent;
    /** Guest bytes per block, a power of two. */
    protected final int blockBytes;
    private final int blockShift;
    /** Held around allocation and around {@link #writeMetadata}. */
    protected final ReentrantLock lock = new ReentrantLock();

    protected BlockMappedDevice(HostFile file, long size, int blockBytes, boolean readOnly, BlockDevice parent) {
        super(file.name(), size, 512, readOnly);
        if (Integer.bitCount(blockBytes) != 1 || blockBytes < 512) {
            throw new IllegalArgumentException(file.name() + ": block size " + blockBytes + " is not a power of two >= 512");
        }
        this.file = file;
        this.parent = parent;
        this.blockBytes = blockBytes;
        this.blockShift = Integer.numberOfTrailingZeros(blockBytes);
    }

    /** Host offset of {@code block}'s first byte, or {@link #UNALLOCATED} or {@link #ZERO}. */
    protected abstract long lookup(long block);

    /**
     * Allocates {@code block} (called under {@link #lock}, only for a block that is not stored)
     * and returns its host offset. The new block must read as zeros (space past the end of the
     * file does). Only the in-memory table changes; {@link #writeMetadata} stores it.
     */
    protected abstract long allocate(long block);

    /** Writes changed tables and trailers to the file (called under {@link #lock}). */
    protected abstract void writeMetadata();

    /**
     * Whether every stored block holds its guest bytes as they are at its host offset (so that
     * blocks stored one after the other are read and written with one call); false when
     * {@link #readStored} or {@link #writeStored} do more (bitmaps, compression).
     */
    protected boolean storedAsIs() {
        return true;
    }

    /** Reads {@code dst} at {@code inBlock} of stored {@code block} at {@code host}: as stored, by default. */
    protected void readStored(long block, long host, int inBlock, MemorySegment dst) {
        file.read(host + inBlock, dst);
    }

    /**
     * Writes {@code src} at {@code inBlock} of {@code block}, whose host offset is {@code host}
     * or which is not stored when {@code host} is negative: allocates it then, by default.
     */
    protected void writeStored(long block, long host, int inBlock, MemorySegment src) {
        long at = host;
        if (at < 0) {
            lock.lock();
            try {
                at = lookup(block);
                if (at < 0) {
                    at = allocate(block);
                }
            } finally {
                lock.unlock();
            }
        }
        file.write(at + inBlock, src);
    }

    @Override
    protected void doRead(long offset, MemorySegment dst) {
        long done = 0;
        long length = dst.byteSize();
        while (done < length) {
            long pos = offset + done;
            long block = pos >>> blockShift;
            int inBlock = (int) (pos & (blockBytes - 1));
            long n = Math.min(length - done, blockBytes - inBlock);
            long host = lookup(block);
            if (host >= 0 && storedAsIs()) {
                // Blocks stored one after the other on the host are read with one call.
                for (long next = block + 1; done + n < length && lookup(next) == host + (next - block) * blockBytes; next++) {
                    n = Math.min(length - done, n + blockBytes);
                }
                file.read(host + inBlock, dst.asSlice(done, n));
            } else if (host >= 0) {
                readStored(block, host, inBlock, dst.asSlice(done, n));
            } else if (host == UNALLOCATED && parent != null) {
                readParent(pos, dst.asSlice(done, n));
            } else {
                dst.asSlice(done, n).fill((byte) 0);
            }
            done += n;
        }
    }

    /**
     * {@code src}, to be written at {@code inBlock} of {@code block}, widened to whole
     * {@code unit}-byte units (sectors a bitmap bit covers) by merging it with what those units
     * read now; {@code src} itself when it already covers whole units. It starts at
     * {@code inBlock / unit * unit}.
     */
    protected final MemorySegment wholeUnits(long block, int inBlock, MemorySegment src, int unit) {
        int first = inBlock / unit * unit;
        int end = (int) ((inBlock + src.byteSize() + unit - 1) / unit * unit);
        if (first == inBlock && end == inBlock + src.byteSize()) {
            return src;
        }
        MemorySegment data = MemorySegment.ofArray(new byte[end - first]);
        doRead(block * blockBytes + first, data);
        MemorySegment.copy(src, 0, data, inBlock - first, src.byteSize());
        return data;
    }

    /**
     * Reads {@code dst} at {@code inBlock} of {@code block}, stored at file offset {@code host},
     * through a sector bitmap: runs of sectors whose bit is set come from this file, the others
     * from the parent (zeros without one). Bit {@code firstBit + i} stands for sector {@code i}
     * of the block; {@code msbFirst}: bit 0 of a byte is its top bit (VHD) or its low bit (VHDX).
     */
    protected final void readThroughBitmap(long block, long host, int inBlock, MemorySegment dst, byte[] bitmap, long firstBit,
            boolean msbFirst, int sector) {
        long done = 0;
        long length = dst.byteSize();
        while (done < length) {
            boolean present = bit(bitmap, firstBit + (inBlock + done) / sector, msbFirst);
            long run = Math.min(length - done, sector - (inBlock + done) % sector);
            while (done + run < length && bit(bitmap, firstBit + (inBlock + done + run) / sector, msbFirst) == present) {
                run = Math.min(length - done, run + sector);
            }
            MemorySegment part = dst.asSlice(done, run);
            if (present) {
                file.read(host + inBlock + done, part);
            } else if (parent != null) {
                readParent(block * blockBytes + inBlock + done, part);
            } else {
                part.fill((byte) 0);
            }
            done += run;
        }
    }

    /** Sets bits {@code from} (inclusive) to {@code to} (exclusive) of {@code bitmap}, in the bit order {@link #readThroughBitmap} reads. */
    protected static void setBits(byte[] bitmap, long from, long to, boolean msbFirst) {
        for (long b = from; b < to; b++) {
            bitmap[(int) (b >>> 3)] |= (byte) (msbFirst ? 0x80 >>> (b & 7) : 1 << (b & 7));
        }
    }

    /**
     * The run at {@code inBlock} of the stored {@code block} (at host offset {@code host}) that
     * this file holds, as a signed length of at most {@code maxLength}: positive when this file
     * holds the run, negative when it belongs to the parent (a clear bit in a sector bitmap).
     * Every byte of a stored block is held unless a subclass says otherwise.
     */
    protected long heldRun(long block, long host, int inBlock, long maxLength) {
        return maxLength;
    }

    /**
     * Whether a block this file does not store belongs to a backing file, so that the layer does
     * not hold it (VMDK, differencing disks), rather than to this file as zeros (a dynamic VHD or
     * VHDX, which cannot have a backing file). This is how {@code qemu-img map} reports them
     * ({@code "present": false} or {@code true}).
     */
    protected boolean unallocatedIsBacking() {
        return parent != null;
    }

    @Override
    public Extent ownExtentAt(long offset, long maxLength) {
        return merged(offset, maxLength, this::ownRun);
    }

    /** The run from {@code pos} to at most {@code blockEnd} in {@code block} (at {@code host}) as this file alone holds it. */
    private Extent ownRun(long pos, long blockEnd, long block, long host) {
        if (host >= 0) {
            long held = heldRun(block, host, (int) (pos & (blockBytes - 1)), blockEnd - pos);
            return new Extent(pos, Math.abs(held), held > 0 ? Extent.Kind.DATA : Extent.Kind.UNALLOCATED);
        }
        boolean zero = host == ZERO || !unallocatedIsBacking();
        return new Extent(pos, blockEnd - pos, zero ? Extent.Kind.ZERO : Extent.Kind.UNALLOCATED);
    }

    @Override
    public long hostOffset(long offset) {
        checkExtentQuery(offset, 1);
        long block = offset >>> blockShift;
        long host = lookup(block);
        int inBlock = (int) (offset & (blockBytes - 1));
        if (host < 0 || compressed() || heldRun(block, host, inBlock, 1) < 0) {
            return -1;
        }
        return file.fileOffset(host + inBlock);
    }

    @Override
    public long hostRunLength(long offset, long maxLength) {
        checkExtentQuery(offset, maxLength);
        long first = hostOffset(offset);
        long end = offset + maxLength;
        long pos = offset;
        while (pos < end && hostOffset(pos) == (first < 0 ? -1 : first + (pos - offset))) {
            long block = pos >>> blockShift;
            long blockEnd = Math.min(end, (block + 1) << blockShift);
            long host = lookup(block);
            // within a block the answer changes only where the bytes it holds do (a sector bitmap)
            pos += host >= 0 ? Math.abs(heldRun(block, host, (int) (pos & (blockBytes - 1)), blockEnd - pos)) : blockEnd - pos;
        }
        return pos - offset;
    }

    /** Whether blocks are stored compressed (then they have no host offset); plain by default. */
    protected boolean compressed() {
        return false;
    }

    /**
     * {@link #heldRun} through a sector bitmap: the run of sectors from {@code inBlock} whose
     * bits ({@code firstBit + sector index}) are all set (positive length) or all clear (negative).
     */
    protected static long bitmapRun(byte[] bitmap, long firstBit, boolean msbFirst, int sector, int inBlock, long maxLength) {
        boolean present = bit(bitmap, firstBit + inBlock / sector, msbFirst);
        long run = Math.min(maxLength, sector - inBlock % sector);
        while (run < maxLength && bit(bitmap, firstBit + (inBlock + run) / sector, msbFirst) == present) {
            run = Math.min(maxLength, run + sector);
        }
        return present ? run : -run;
    }

    private static boolean bit(byte[] bitmap, long index, boolean msbFirst) {
        int mask = msbFirst ? 0x80 >>> (index & 7) : 1 << (index & 7);
        return (bitmap[(int) (index >>> 3)] & mask) != 0;
    }

    /** Reads {@code dst} at guest offset {@code pos} from the parent (zeros past its end). */
    protected final void readParent(long pos, MemorySegment dst) {
        long inParent = Math.max(0, Math.min(dst.byteSize(), parent.size() - pos));
        if (inParent > 0) {
            parent.read(pos, dst.asSlice(0, inParent));
        }
        if (inParent < dst.byteSize()) {
            dst.asSlice(inParent).fill((byte) 0);
        }
    }

    @Override
    protected void doWrite(long offset, MemorySegment src) {
        write(offset, src, true);
    }

    /** Writes {@code src} as it is: the caller already skipped the zeros (image conversion). */
    @Override
    public void writeData(long offset, MemorySegment src) {
        checkOpen();
        if (isReadOnly()) {
            throw new BlockDeviceException.ReadOnly(name());
        }
        checkRange(offset, src.byteSize());
        write(offset, src, false);
    }

    /** Writes {@code src}; with {@code skipZeros}, all-zero parts of blocks that read as zeros are not stored. */
    private void write(long offset, MemorySegment src, boolean skipZeros) {
        long done = 0;
        long length = src.byteSize();
        while (done < length) {
            long pos = offset + done;
            long block = pos >>> blockShift;
            int inBlock = (int) (pos & (blockBytes - 1));
            long n = Math.min(length - done, blockBytes - inBlock);
            MemorySegment part = src.asSlice(done, n);
            long host = lookup(block);
            boolean fromParent = host == UNALLOCATED && parent != null;
            if (host < 0 && !fromParent && skipZeros && Zeros.isZero(part)) {
                done += n;
                continue;
            }
            if (!storedAsIs() || fromParent) {
                writeStored(block, host, inBlock, part);
                done += n;
                continue;
            }
            if (host < 0) {
                // Allocate this block and the following unstored ones the request fills in one go, so
                // that they lie one after the other even while other threads allocate too.
                long count = 1;
                while (done + n + count * blockBytes - blockBytes < length && lookup(block + count) == UNALLOCATED
                        && (!skipZeros || !Zeros.isZero(src.asSlice(done + n + (count - 1) * blockBytes,
                                Math.min(blockBytes, length - done - n - (count - 1) * blockBytes))))) {
                    count++;
                }
                host = stored(block, count);
            }
            // Following blocks stored right after this one are written with the same call.
            for (long next = block + 1; done + n < length; next++) {
                long m = Math.min(length - done - n, blockBytes);
                long h = lookup(next);
                if (h != host + (next - block) * blockBytes) {
                    break;
                }
                n += m;
            }
            file.write(host + inBlock, src.asSlice(done, n));
            done += n;
        }
    }

    /**
     * The host offset of {@code block}, allocating it under the lock if it is not stored, and with
     * it those of the {@code count - 1} blocks after it that are not stored either.
     */
    private long stored(long block, long count) {
        lock.lock();
        try {
            long host = lookup(block);
            if (host >= 0) {
                return host;
            }
            host = allocate(block);
            for (long next = block + 1; next < block + count; next++) {
                if (lookup(next) == UNALLOCATED) {
                    allocate(next);
                }
            }
            return host;
        } finally {
            lock.unlock();
        }
    }

    @Override
    protected void doDiscard(long offset, long length) {
        long done = 0;
        while (done < length) {
            long pos = offset + done;
            long block = pos >>> blockShift;
            long n = Math.min(length - done, blockBytes - (pos & (blockBytes - 1)));
            long host = lookup(block);
            // A block this image does not hold reads from the parent: zeros are stored over it.
            if (host >= 0 || host == UNALLOCATED && parent != null) {
                long z = 0;
                while (z < n) {
                    long m = Math.min(n - z, Zeros.CHUNK);
                    writeStored(block, lookup(block), (int) ((pos + z) & (blockBytes - 1)), Zeros.SEGMENT.asSlice(0, m));
                    z += m;
                }
            }
            done += n;
        }
    }

    @Override
    public Extent extentAt(long offset, long maxLength) {
        return merged(offset, maxLength, this::chainRun);
    }

    /** The run from {@code pos} to at most {@code blockEnd} in {@code block} (at {@code host}) as the whole chain reads it. */
    private Extent chainRun(long pos, long blockEnd, long block, long host) {
        if (host >= 0) {
            return new Extent(pos, blockEnd - pos, Extent.Kind.DATA);
        }
        if (host != UNALLOCATED || parent == null || pos >= parent.size()) {
            return new Extent(pos, blockEnd - pos, Extent.Kind.ZERO);
        }
        if (parent instanceof AllocationStatus status) {
            Extent e = status.extentAt(pos, Math.min(blockEnd, parent.size()) - pos);
            return new Extent(pos, e.length(), e.kind() == Extent.Kind.DATA ? Extent.Kind.DATA : Extent.Kind.ZERO);
        }
        return new Extent(pos, Math.min(blockEnd, parent.size()) - pos, Extent.Kind.DATA);
    }

    /** A block's run from {@code pos}, ending at most at {@code blockEnd}. */
    private interface BlockRun {
        Extent run(long pos, long blockEnd, long block, long host);
    }

    /** The runs {@code step} gives from {@code offset}, block after block, merged while their kind stays the same. */
    private Extent merged(long offset, long maxLength, BlockRun step) {
        checkExtentQuery(offset, maxLength);
        long end = offset + maxLength;
        Extent.Kind kind = null;
        long pos = offset;
        while (pos < end) {
            long block = pos >>> blockShift;
            Extent here = step.run(pos, Math.min(end, (block + 1) << blockShift), block, lookup(block));
            if (kind == null) {
                kind = here.kind();
            } else if (kind != here.kind()) {
                break;
            }
            pos = here.end();
        }
        return new Extent(offset, pos - offset, kind);
    }

    @Override
    protected void doFlush() {
        if (!isReadOnly()) {
            lock.lock();
            try {
                writeMetadata();
            } finally {
                lock.unlock();
            }
            file.force();
        }
    }

    @Override
    protected void doClose() {
        try {
            if (!isReadOnly()) {
                lock.lock();
                try {
                    writeMetadata();
                } finally {
                    lock.unlock();
                }
            }
        } finally {
            try {
                file.close();
            } finally {
                if (parent != null) {
                    parent.close();
                }
            }
        }
    }
}
