package io.amiforge.imagefmt.vhdx;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.sparse.BlockMappedDevice;
import io.amiforge.imagefmt.sparse.HostFile;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A VHDX disk as a device, read-only or, when its log is empty, writable. Its BAT interleaves
 * one sector-bitmap entry after every {@link VhdxMetadata#chunkRatio()} payload entries; an
 * entry's low three bits are its state and bits 20-63 its file offset in MiB. Fully present
 * blocks read from the file, zero and unmapped blocks as zeros, not-present blocks from the
 * parent (zeros without one).
 *
 * <p>A differencing disk (one with a parent) also has partially present blocks: the sector
 * bitmap of the block's chunk (1 MiB, one bit per logical sector, bit 0 of byte 0 first) says
 * which sectors this file holds; the others read from the parent. A write into a block this
 * file does not hold allocates it partially present (fully present when the write covers it
 * whole, or when the block read as zeros) and sets the bits of the sectors it covers, merging
 * partial sectors with what they read before.
 *
 * <p>New blocks (and new sector bitmap blocks) are appended at the next 1 MiB boundary after
 * everything the file holds. Bitmaps and the BAT are written back on flush and close (in place,
 * not through the log: a crash between a block's data and the BAT write loses that block's
 * data, never older data), and the file is extended to cover every block.
 */
final class VhdxDevice extends BlockMappedDevice {

    static final int NOT_PRESENT = 0;
    static final int UNDEFINED = 1;
    static final int ZERO_STATE = 2;
    static final int UNMAPPED = 3;
    static final int FULLY_PRESENT = 6;
    static final int PARTIALLY_PRESENT = 7;
    /** A sector bitmap entry's state when its block is in the file. */
    static final int BITMAP_PRESENT = 6;

    private static final long MIB = 1 << 20;

    private final long[] bat;
    private final long chunkRatio;
    private final long batOffset;
    private final boolean differencing;
    private final int sector;
    /** Differencing disks: each chunk's sector bitmap once read or created, by chunk; null until needed. */
    private final byte[][] bitmaps;
    private final boolean[] bitmapDirty;
    private final VhdxHeader header;
    private long nextFree;
    private boolean batDirty;
    /** Whether the headers carry a new DataWriteGuid for this open (set before the first change). */
    private volatile boolean renewed;
    /**
     * Whether this device is the one {@link VhdxFormat#create} returned, over a file nobody has
     * seen yet: its GUIDs are new, and until it is flushed no crash ordering matters (a crash
     * leaves an image that was never complete, which a conversion's temporary output is).
     */
    private volatile boolean fresh;

    /**
     * Opens the disk over {@code file} ({@code parent} non-null exactly when it is a differencing
     * disk opened for reading its data; {@link VhdxFormat#info} passes null to look at one file).
     */
    VhdxDevice(HostFile file, VhdxHeader header, VhdxRegions regions, VhdxMetadata metadata, boolean readOnly, BlockDevice parent) {
        super(file, metadata.virtualSize(), metadata.blockSize(), readOnly, parent);
        this.header = header;
        this.batOffset = regions.batOffset();
        this.chunkRatio = metadata.chunkRatio();
        this.differencing = metadata.hasParent();
        this.sector = metadata.logicalSectorSize();
        long entries = metadata.batEntries();
        if (entries * 8 > regions.batLength()) {
            throw ImageFormatException.corrupt(file.name(), "VHDX BAT region at file offset 0x%x holds %d bytes, %d entries need %d"
                    .formatted(regions.batOffset(), regions.batLength(), entries, entries * 8));
        }
        ByteBuffer b = file.readStructure(regions.batOffset(), entries * 8, "VHDX BAT", ByteOrder.LITTLE_ENDIAN);
        this.bat = new long[(int) entries];
        for (int i = 0; i < entries; i++) {
            bat[i] = b.getLong(8 * i);
        }
        long end = Math.max(file.size(), Math.max(regions.batOffset() + regions.batLength(),
                regions.metadataOffset() + regions.metadataLength()));
        for (int i = 0; i < entries; i++) {
            end = Math.max(end, check(file, i, metadata.blockSize()));
        }
        this.nextFree = (end + MIB - 1) & -MIB;
        int chunks = (int) ((entries + chunkRatio) / (chunkRatio + 1));
        this.bitmaps = differencing ? new byte[chunks][] : null;
        this.bitmapDirty = differencing ? new boolean[chunks] : null;
    }

    /** Checks BAT entry {@code i}; returns the end of what it points to in the file (0 for nothing). */
    private long check(HostFile file, int i, int blockSize) {
        long entry = bat[i];
        int state = (int) (entry & 7);
        long offset = (entry >>> 20) << 20;
        long at = batOffset + 8L * i;
        boolean isBitmap = (i + 1) % (chunkRatio + 1) == 0;
        if (isBitmap) {
            if (state == NOT_PRESENT || !differencing) {
                return 0; // a disk without a parent has no sector bitmaps, whatever the entry says
            }
            if (state != BITMAP_PRESENT || offset < MIB || offset > file.size() - MIB) {
                throw ImageFormatException.corrupt(file.name(), "VHDX sector bitmap entry %d (file offset 0x%x) has state %d at file offset 0x%x; "
                        .formatted(i, at, state, offset) + "expected state 6 and a 1 MiB block inside the file (size 0x%x)".formatted(file.size()));
            }
            return offset + MIB;
        }
        if (state == 4 || state == 5 || (state == PARTIALLY_PRESENT && !differencing)) {
            throw ImageFormatException.corrupt(file.name(), "VHDX BAT entry %d (file offset 0x%x) has state %d, invalid for a disk %s"
                    .formatted(i, at, state, differencing ? "" : "without a parent"));
        }
        if (state != FULLY_PRESENT && state != PARTIALLY_PRESENT) {
            return 0;
        }
        if (offset < MIB || offset > file.size() - 1) {
            throw ImageFormatException.corrupt(file.name(),
                    "VHDX BAT entry %d (file offset 0x%x) points to file offset 0x%x, beyond the end of the file (size 0x%x)"
                            .formatted(i, at, offset, file.size()));
        }
        if (state == PARTIALLY_PRESENT) {
            long bitmapIndex = (i / (chunkRatio + 1)) * (chunkRatio + 1) + chunkRatio;
            if ((bat[(int) bitmapIndex] & 7) != BITMAP_PRESENT) {
                throw ImageFormatException.corrupt(file.name(), "VHDX BAT entry %d (file offset 0x%x) is partially present, but its chunk's sector bitmap "
                        .formatted(i, at) + "(BAT entry %d) is not present".formatted(bitmapIndex));
            }
        }
        return offset + blockSize;
    }

    /**
     * Marks the device as the creator's, over a file just made: no header renewal (its GUIDs are
     * new; no child can link to it) and no fsync ordering data before the block table until its
     * first flush, after which it behaves as any opened disk.
     */
    void created() {
        renewed = true;
        fresh = true;
    }

    /** Gives the headers a new DataWriteGuid once, before the first change of data (see {@link VhdxHeader#renew}). */
    private void changing() {
        if (renewed || isReadOnly()) {
            return;
        }
        lock.lock();
        try {
            if (!renewed) {
                header.renew(file);
                renewed = true;
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    protected void doWrite(long offset, MemorySegment src) {
        changing();
        super.doWrite(offset, src);
    }

    @Override
    public void writeData(long offset, MemorySegment src) {
        changing();
        super.writeData(offset, src);
    }

    @Override
    protected void doDiscard(long offset, long length) {
        changing();
        if (!differencing) {
            super.doDiscard(offset, length);
            return;
        }
        long end = offset + length;
        long pos = offset;
        while (pos < end) {
            long block = pos / blockBytes;
            long blockEnd = Math.min(size(), (block + 1) * blockBytes);
            long n = Math.min(end, blockEnd) - pos;
            if (pos == block * blockBytes && pos + n == blockEnd && zeroBlock(block)) {
                pos += n;
                continue;
            }
            super.doDiscard(pos, n); // stores zeros over what the block holds or its parent shows
            pos += n;
        }
    }

    /**
     * Makes a whole block this differencing disk does not hold (the parent's data shows) a zero
     * block, which reads as zeros and holds nothing; false if the block is in the file.
     */
    private boolean zeroBlock(long block) {
        lock.lock();
        try {
            int i = index(block, chunkRatio);
            if (lookup(block) != UNALLOCATED) {
                return lookup(block) == ZERO;
            }
            bat[i] = ZERO_STATE;
            batDirty = true;
            return true;
        } finally {
            lock.unlock();
        }
    }

    private static int index(long block, long chunkRatio) {
        return (int) (block + block / chunkRatio);
    }

    @Override
    protected long lookup(long block) {
        long entry = bat[index(block, chunkRatio)];
        return switch ((int) (entry & 7)) {
            case FULLY_PRESENT, PARTIALLY_PRESENT -> (entry >>> 20) << 20;
            case ZERO_STATE, UNMAPPED -> ZERO;
            default -> UNALLOCATED;
        };
    }

    @Override
    protected long allocate(long block) {
        return allocate(block, FULLY_PRESENT);
    }

    private long allocate(long block, int state) {
        long host = nextFree;
        nextFree += blockBytes;
        bat[index(block, chunkRatio)] = host | state;
        batDirty = true;
        return host;
    }

    @Override
    protected boolean storedAsIs() {
        return !differencing;
    }

    @Override
    protected boolean unallocatedIsBacking() {
        return differencing;
    }

    /** A partially present block holds the sectors whose bit is set in its chunk's bitmap; other stored blocks all of theirs. */
    @Override
    protected long heldRun(long block, long host, int inBlock, long maxLength) {
        if ((bat[index(block, chunkRatio)] & 7) != PARTIALLY_PRESENT) {
            return maxLength;
        }
        long base = (block % chunkRatio) * (blockBytes / sector);
        return bitmapRun(bitmap(block / chunkRatio), base, false, sector, inBlock, maxLength);
    }

    @Override
    protected void readStored(long block, long host, int inBlock, MemorySegment dst) {
        if ((bat[index(block, chunkRatio)] & 7) != PARTIALLY_PRESENT) {
            file.read(host + inBlock, dst);
            return;
        }
        long base = (block % chunkRatio) * (blockBytes / sector);
        readThroughBitmap(block, host, inBlock, dst, bitmap(block / chunkRatio), base, false, sector);
    }

    @Override
    protected void writeStored(long block, long host, int inBlock, MemorySegment src) {
        if (!differencing) {
            super.writeStored(block, host, inBlock, src);
            return;
        }
        // Whole sectors only, since a bit covers a sector.
        MemorySegment data = wholeUnits(block, inBlock, src, sector);
        int first = inBlock / sector * sector;
        int end = first + (int) data.byteSize();
        lock.lock();
        try {
            int i = index(block, chunkRatio);
            int state = (int) (bat[i] & 7);
            long at = lookup(block);
            if (at < 0) {
                boolean whole = first == 0 && end == blockBytes;
                // A block that reads as zeros becomes fully present: its unwritten sectors must stay zeros, not show the parent.
                at = allocate(block, whole || at == ZERO ? FULLY_PRESENT : PARTIALLY_PRESENT);
                state = (int) (bat[i] & 7);
            }
            file.write(at + first, data);
            if (state == PARTIALLY_PRESENT) {
                long chunk = block / chunkRatio;
                byte[] bitmap = bitmap(chunk);
                long base = (block % chunkRatio) * (blockBytes / sector);
                setBits(bitmap, base + first / sector, base + end / sector, false);
                bitmapDirty[(int) chunk] = true;
            }
        } finally {
            lock.unlock();
        }
    }

    /** The chunk's sector bitmap, read (or, when the file has none, created) under the lock on first use. */
    private byte[] bitmap(long chunk) {
        lock.lock();
        try {
            byte[] bitmap = bitmaps[(int) chunk];
            if (bitmap == null) {
                bitmap = new byte[(int) MIB];
                int i = (int) (chunk * (chunkRatio + 1) + chunkRatio);
                if ((bat[i] & 7) == BITMAP_PRESENT) {
                    file.read((bat[i] >>> 20) << 20, ByteBuffer.wrap(bitmap));
                } else {
                    bat[i] = nextFree | BITMAP_PRESENT;
                    nextFree += MIB;
                    batDirty = true;
                    bitmapDirty[(int) chunk] = true;
                }
                bitmaps[(int) chunk] = bitmap;
            }
            return bitmap;
        } finally {
            lock.unlock();
        }
    }

    @Override
    protected void doFlush() {
        super.doFlush();
        fresh = false; // durable now: from here on a crash must find data before the table
    }

    @Override
    protected void writeMetadata() {
        boolean bitmapsDirty = false;
        for (int c = 0; differencing && c < bitmapDirty.length; c++) {
            bitmapsDirty |= bitmapDirty[c];
        }
        if (!batDirty && !bitmapsDirty) {
            return;
        }
        if (file.size() < nextFree) {
            file.truncate(nextFree); // every block lies inside the file
        }
        for (int c = 0; differencing && c < bitmapDirty.length; c++) {
            if (bitmapDirty[c]) {
                long i = c * (chunkRatio + 1) + chunkRatio;
                file.write((bat[(int) i] >>> 20) << 20, ByteBuffer.wrap(bitmaps[c]));
                bitmapDirty[c] = false;
            }
        }
        if (!fresh) {
            file.force(); // data and bitmaps before the block table that points at them
        }
        ByteBuffer b = ByteBuffer.allocate(bat.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long entry : bat) {
            b.putLong(entry);
        }
        file.write(batOffset, b.rewind());
        batDirty = false;
    }
}
