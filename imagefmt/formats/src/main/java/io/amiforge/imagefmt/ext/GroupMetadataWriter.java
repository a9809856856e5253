package io.amiforge.imagefmt.ext;

import io.amiforge.blockdev.BlockDevice;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;

/**
 * Writes the metadata of an ext2 filesystem once its data is written: each group's block and
 * inode bitmaps, the inode-table blocks that hold used inodes (the rest were discarded to
 * zeros), then the superblock and group descriptor table in every group that carries a copy
 * (the primary at byte 1024), and flushes the device.
 */
final class GroupMetadataWriter {

    private static final int DESCRIPTOR_SIZE = 32;

    private final BlockDevice dev;
    private final Ext2Layout layout;
    private final BlockAllocator allocator;
    private final InodeRecords inodes;
    private final Ext2Identity identity;
    private final String label;
    private final long now;

    GroupMetadataWriter(BlockDevice dev, Ext2Layout layout, BlockAllocator allocator, InodeRecords inodes, Ext2Identity identity,
                        String label, long now) {
        this.dev = dev;
        this.layout = layout;
        this.allocator = allocator;
        this.inodes = inodes;
        this.identity = identity;
        this.label = label;
        this.now = now;
    }

    void write() {
        int bs = layout.blockSize;
        long freeBlocksTotal = 0;
        long freeInodesTotal = 0;
        ByteBuffer gdt = ByteBuffer.allocate(layout.gdtBlocks * bs).order(ByteOrder.LITTLE_ENDIAN);
        for (long g = 0; g < layout.groups; g++) {
            long start = layout.groupStart(g);
            long count = layout.groupBlocks(g);
            byte[] bitmap = new byte[bs];
            long free = 0;
            for (long i = 0; i < 8L * bs; i++) {
                boolean set = i >= count || allocator.isUsed(start + i);
                if (set) {
                    bitmap[(int) (i >>> 3)] |= (byte) (1 << (i & 7));
                } else {
                    free++;
                }
            }
            byte[] ibitmap = new byte[bs];
            long freeInodes = 0;
            for (long i = 0; i < 8L * bs; i++) {
                long ino = g * layout.inodesPerGroup + i + 1;
                boolean set = i >= layout.inodesPerGroup || ino < Ext2Writer.FIRST_INO || inodes.contains(ino);
                if (set) {
                    ibitmap[(int) (i >>> 3)] |= (byte) (1 << (i & 7));
                } else {
                    freeInodes++;
                }
            }
            long meta = layout.metaStart(g);
            dev.write(meta * bs, MemorySegment.ofArray(bitmap));
            dev.write((meta + 1) * bs, MemorySegment.ofArray(ibitmap));
            int at = (int) (g * DESCRIPTOR_SIZE);
            gdt.putInt(at, (int) meta);
            gdt.putInt(at + 4, (int) (meta + 1));
            gdt.putInt(at + 8, (int) (meta + 2));
            gdt.putShort(at + 12, (short) free);
            gdt.putShort(at + 14, (short) freeInodes);
            gdt.putShort(at + 16, (short) inodes.directories(g));
            freeBlocksTotal += free;
            freeInodesTotal += freeInodes;
        }
        writeInodeTables();
        assert layout.inodesCount() >= inodes.records().size();
        for (long g = 0; g < layout.groups; g++) {
            if (!layout.hasSuper(g)) {
                continue;
            }
            byte[] sb = superblock(g, freeBlocksTotal, freeInodesTotal);
            long at = g == 0 ? 1024 : layout.groupStart(g) * bs;
            dev.write(at, MemorySegment.ofArray(sb));
            dev.write((layout.groupStart(g) + 1) * bs, MemorySegment.ofArray(gdt.array()));
        }
        dev.flush();
    }

    /** Only blocks holding used inodes are written (the rest were discarded to zeros). */
    private void writeInodeTables() {
        int bs = layout.blockSize;
        byte[] tableBlock = new byte[bs];
        long currentBlock = -1;
        for (Map.Entry<Long, byte[]> e : inodes.records().entrySet()) {
            long ino = e.getKey();
            long g = layout.groupOf(ino);
            long index = (ino - 1) % layout.inodesPerGroup;
            long block = layout.metaStart(g) + 2 + index * Ext2Writer.INODE_SIZE / bs;
            if (block != currentBlock) {
                if (currentBlock >= 0) {
                    dev.write(currentBlock * bs, MemorySegment.ofArray(tableBlock));
                }
                Arrays.fill(tableBlock, (byte) 0);
                currentBlock = block;
            }
            System.arraycopy(e.getValue(), 0, tableBlock, (int) (index * Ext2Writer.INODE_SIZE % bs), Ext2Writer.INODE_SIZE);
        }
        if (currentBlock >= 0) {
            dev.write(currentBlock * bs, MemorySegment.ofArray(tableBlock));
        }
    }

    private byte[] superblock(long group, long freeBlocks, long freeInodes) {
        ByteBuffer b = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);
        int log = Integer.numberOfTrailingZeros(layout.blockSize) - 10;
        b.putInt(0x00, (int) layout.inodesCount());
        b.putInt(0x04, (int) layout.blocksCount);
        b.putInt(0x0C, (int) freeBlocks);
        b.putInt(0x10, (int) freeInodes);
        b.putInt(0x14, (int) layout.firstData);
        b.putInt(0x18, log);
        b.putInt(0x1C, log);
        b.putInt(0x20, (int) layout.blocksPerGroup);
        b.putInt(0x24, (int) layout.blocksPerGroup);
        b.putInt(0x28, (int) layout.inodesPerGroup);
        b.putInt(0x30, (int) now);
        b.putShort(0x36, (short) -1);
        b.putShort(0x38, (short) Superblock.MAGIC);
        b.putShort(0x3A, (short) 1);
        b.putShort(0x3C, (short) 1);
        b.putInt(0x40, (int) now);
        b.putInt(0x4C, 1);
        b.putInt(0x54, Ext2Writer.FIRST_INO);
        b.putShort(0x58, (short) Ext2Writer.INODE_SIZE);
        b.putShort(0x5A, (short) group);
        b.putInt(0x60, Superblock.INCOMPAT_FILETYPE);
        b.putInt(0x64, Superblock.RO_COMPAT_SPARSE_SUPER | Superblock.RO_COMPAT_LARGE_FILE);
        UUID u = identity.uuid();
        b.order(ByteOrder.BIG_ENDIAN).putLong(0x68, u.getMostSignificantBits()).putLong(0x70, u.getLeastSignificantBits());
        b.order(ByteOrder.LITTLE_ENDIAN);
        b.put(0x78, label.getBytes(StandardCharsets.UTF_8));
        b.put(0xEC, identity.hashSeed());
        b.put(0xFC, (byte) 1);
        b.putInt(0x108, (int) now);
        return b.array();
    }
}
