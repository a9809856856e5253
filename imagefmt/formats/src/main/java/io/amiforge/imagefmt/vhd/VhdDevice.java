package io.amiforge.imagefmt.vhd;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.sparse.BlockMappedDevice;
import io.amiforge.imagefmt.sparse.HostFile;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A dynamic or differencing VHD as a device. Each block is a sector bitmap followed by the
 * block's data; the BAT gives the bitmap's sector. A dynamic disk's allocated blocks are read
 * whole (QEMU and Hyper-V set every bit); a differencing disk reads the sectors whose bit is
 * set from itself and the others from its parent, and a write sets the bits of the sectors it
 * covers. New blocks go where the footer was, and the footer moves after them.
 */
final class VhdDevice extends BlockMappedDevice {

    private static final int UNUSED = -1;

    private final VhdFooter footer;
    private final VhdDynamicHeader header;
    private final int[] bat;
    private final int bitmapBytes;
    private final boolean differencing;
    /** Differencing disks: each stored block's bitmap once read, by block; null until needed. */
    private final byte[][] bitmaps;
    private final boolean[] bitmapDirty;
    private long nextFree;
    private boolean batDirty;

    VhdDevice(HostFile file, VhdFooter footer, VhdDynamicHeader header, boolean readOnly, BlockDevice parent) {
        super(file, footer.virtualSize(), header.blockSize(), readOnly, parent);
        this.footer = footer;
        this.header = header;
        this.differencing = footer.diskType() == VhdFooter.DIFFERENCING;
        this.bitmapBytes = Math.max(512, (header.blockSize() / 512 / 8 + 511) & ~511);
        long blocks = (footer.virtualSize() + header.blockSize() - 1) / header.blockSize();
        if (header.maxTableEntries() < blocks) {
            throw ImageFormatException.corrupt(file.name(), "VHD BAT at file offset 0x%x has %d entries, too few for %d bytes in %d-byte blocks"
                    .formatted(header.tableOffset(), header.maxTableEntries(), footer.virtualSize(), header.blockSize()));
        }
        this.bat = readBat(file, header);
        long end = Math.max(header.tableOffset() + ((4L * bat.length + 511) & ~511L), VhdFooter.SIZE + VhdDynamicHeader.SIZE);
        for (int entry : bat) {
            if (entry != UNUSED) {
                end = Math.max(end, (entry & 0xffffffffL) * 512 + bitmapBytes + header.blockSize());
            }
        }
        // The footer sits after the last structure; anything a writer put beyond the blocks (locator paths) is kept.
        this.nextFree = Math.max(end, (file.size() - VhdFooter.SIZE + 511) & ~511L);
        this.bitmaps = differencing ? new byte[bat.length][] : null;
        this.bitmapDirty = differencing ? new boolean[bat.length] : null;
    }

    private static int[] readBat(HostFile file, VhdDynamicHeader header) {
        int n = header.maxTableEntries();
        ByteBuffer b = file.readStructure(header.tableOffset(), 4L * n, "VHD BAT", ByteOrder.BIG_ENDIAN);
        int[] bat = new int[n];
        for (int i = 0; i < n; i++) {
            int entry = b.getInt(4 * i);
            if (entry != UNUSED && (entry & 0xffffffffL) * 512 >= file.size()) {
                throw ImageFormatException.corrupt(file.name(),
                        "VHD BAT entry %d (file offset 0x%x) points to sector %d, beyond the end of the file (size 0x%x)"
                                .formatted(i, header.tableOffset() + 4L * i, entry & 0xffffffffL, file.size()));
            }
            bat[i] = entry;
        }
        return bat;
    }

    VhdFooter footer() {
        return footer;
    }

    VhdDynamicHeader header() {
        return header;
    }

    /** Blocks with data stored in this file. */
    long allocatedBlocks() {
        return Arrays.stream(bat).filter(e -> e != UNUSED).count();
    }

    @Override
    protected long lookup(long block) {
        int entry = bat[(int) block];
        return entry == UNUSED ? UNALLOCATED : (entry & 0xffffffffL) * 512 + bitmapBytes;
    }

    @Override
    protected long allocate(long block) {
        long bitmapAt = nextFree;
        ByteBuffer bitmap = ByteBuffer.allocate(bitmapBytes);
        if (differencing) {
            bitmaps[(int) block] = new byte[bitmapBytes];
        } else {
            Arrays.fill(bitmap.array(), (byte) 0xff);
        }
        file.write(bitmapAt, bitmap); // also overwrites the footer that sat here
        nextFree = bitmapAt + bitmapBytes + blockBytes;
        bat[(int) block] = (int) (bitmapAt / 512);
        batDirty = true;
        return bitmapAt + bitmapBytes;
    }

    @Override
    protected boolean storedAsIs() {
        return !differencing;
    }

    @Override
    protected boolean unallocatedIsBacking() {
        return differencing;
    }

    /** A differencing disk holds the sectors whose bit is set; a dynamic disk its whole stored blocks. */
    @Override
    protected long heldRun(long block, long host, int inBlock, long maxLength) {
        return differencing ? bitmapRun(bitmap(block, host), 0, true, 512, inBlock, maxLength) : maxLength;
    }

    @Override
    protected void readStored(long block, long host, int inBlock, MemorySegment dst) {
        if (!differencing) {
            file.read(host + inBlock, dst);
            return;
        }
        readThroughBitmap(block, host, inBlock, dst, bitmap(block, host), 0, true, 512);
    }

    @Override
    protected void writeStored(long block, long host, int inBlock, MemorySegment src) {
        if (!differencing) {
            super.writeStored(block, host, inBlock, src);
            return;
        }
        // Whole sectors only, since a bit covers a sector.
        MemorySegment data = wholeUnits(block, inBlock, src, 512);
        int first = inBlock & ~511;
        int end = first + (int) data.byteSize();
        lock.lock();
        try {
            long at = lookup(block);
            if (at < 0) {
                at = allocate(block);
            }
            file.write(at + first, data);
            byte[] bitmap = bitmap(block, at);
            setBits(bitmap, first >>> 9, end >>> 9, true);
            bitmapDirty[(int) block] = true;
        } finally {
            lock.unlock();
        }
    }

    /** The block's bitmap, read under the lock on first use so that a writer's bits are never replaced by a fresh copy. */
    private byte[] bitmap(long block, long host) {
        lock.lock();
        try {
            byte[] bitmap = bitmaps[(int) block];
            if (bitmap == null) {
                bitmap = new byte[bitmapBytes];
                file.read(host - bitmapBytes, ByteBuffer.wrap(bitmap));
                bitmaps[(int) block] = bitmap;
            }
            return bitmap;
        } finally {
            lock.unlock();
        }
    }

    @Override
    protected void writeMetadata() {
        if (differencing) {
            for (int i = 0; i < bat.length; i++) {
                if (bitmapDirty[i]) {
                    file.write((bat[i] & 0xffffffffL) * 512, ByteBuffer.wrap(bitmaps[i]));
                    bitmapDirty[i] = false;
                }
            }
        }
        if (batDirty) {
            ByteBuffer b = ByteBuffer.allocate(4 * bat.length).order(ByteOrder.BIG_ENDIAN);
            for (int i = 0; i < bat.length; i++) {
                b.putInt(4 * i, bat[i]);
            }
            file.write(header.tableOffset(), b);
            file.write(nextFree, footer.encode());
            batDirty = false;
        }
    }
}
