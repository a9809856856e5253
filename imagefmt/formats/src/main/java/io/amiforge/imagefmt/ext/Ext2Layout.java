package io.amiforge.imagefmt.ext;

/**
 * Where everything goes in an ext2 filesystem being written: block groups of {@code 8 *
 * blockSize} blocks; groups 0, 1 and powers of 3, 5, 7 carry a superblock and descriptor-table
 * backup; then the block bitmap, the inode bitmap and the inode table; data after. The inode
 * count comes from the bytes-per-inode ratio, at least what the tree needs plus a tenth, and is
 * aligned per group to whole inode-table blocks. A last group too small for its own metadata
 * is dropped, as mke2fs does.
 */
final class Ext2Layout {

    final int blockSize;
    /** 1 for 1 KiB blocks (block 0 holds the boot sector), else 0. */
    final long firstData;
    final long blocksPerGroup;
    long blocksCount;
    long groups;
    long inodesPerGroup;
    /** Inode-table blocks per group. */
    long inodeTableBlocks;
    /** Group descriptor table blocks. */
    int gdtBlocks;

    /**
     * Plans a filesystem of the {@code deviceSize} bytes of {@code device} holding at least
     * {@code inodesNeeded} inodes; a device too small or too large is a usage error.
     */
    Ext2Layout(String device, long deviceSize, int blockSize, int bytesPerInode, long inodesNeeded) {
        this.blockSize = blockSize;
        this.firstData = blockSize == 1024 ? 1 : 0;
        this.blocksPerGroup = 8L * blockSize;
        this.blocksCount = deviceSize / blockSize;
        if (blocksCount >= Integer.MAX_VALUE) {
            throw ExtErrors.usage("%s: %d bytes is too large for ext2 with %d-byte blocks".formatted(device, deviceSize, blockSize));
        }
        plan(device, deviceSize, bytesPerInode, inodesNeeded);
    }

    private void plan(String device, long deviceSize, int bytesPerInode, long inodesNeeded) {
        int bs = blockSize;
        for (int attempt = 0; attempt < 3; attempt++) {
            if (blocksCount - firstData < 64) {
                throw ExtErrors.usage("%s: %d bytes is too small for an ext2 filesystem".formatted(device, deviceSize));
            }
            groups = (blocksCount - firstData + blocksPerGroup - 1) / blocksPerGroup;
            gdtBlocks = (int) ((groups * 32 + bs - 1) / bs);
            long byRatio = blocksCount * bs / bytesPerInode;
            long wanted = Math.max(inodesNeeded + inodesNeeded / 10 + 16, byRatio);
            long perBlock = bs / Ext2Writer.INODE_SIZE;
            long align = Math.max(8, perBlock);
            long ipg = (wanted + groups - 1) / groups;
            ipg = (ipg + align - 1) / align * align;
            inodesPerGroup = Math.min(ipg, 8L * bs);
            if (inodesPerGroup * groups < inodesNeeded) {
                throw ExtErrors.usage("%s: %d files do not fit in a filesystem of %d bytes"
                        .formatted(device, inodesNeeded - Ext2Writer.FIRST_INO, deviceSize));
            }
            inodeTableBlocks = inodesPerGroup * Ext2Writer.INODE_SIZE / bs;
            long last = groups - 1;
            long overhead = dataStart(last) - groupStart(last);
            if (groupBlocks(last) >= overhead + 16) {
                return;
            }
            if (groups == 1) {
                throw ExtErrors.usage("%s: %d bytes is too small for an ext2 filesystem".formatted(device, deviceSize));
            }
            blocksCount = groupStart(last); // drop a last group too small for its own metadata, as mke2fs does
        }
    }

    /** True when group {@code g} carries a superblock and descriptor-table copy (sparse_super). */
    boolean hasSuper(long g) {
        if (g <= 1) {
            return true;
        }
        for (int base : new int[] {3, 5, 7}) {
            long p = base;
            while (p < g) {
                p *= base;
            }
            if (p == g) {
                return true;
            }
        }
        return false;
    }

    long inodesCount() {
        return inodesPerGroup * groups;
    }

    long groupStart(long g) {
        return firstData + g * blocksPerGroup;
    }

    long groupBlocks(long g) {
        return Math.min(blocksPerGroup, blocksCount - groupStart(g));
    }

    /** The group's block bitmap; the inode bitmap follows, then the inode table. */
    long metaStart(long g) {
        return groupStart(g) + (hasSuper(g) ? 1 + gdtBlocks : 0);
    }

    /** The group's first data block. */
    long dataStart(long g) {
        return metaStart(g) + 2 + inodeTableBlocks;
    }

    /** The group inode {@code ino} belongs to. */
    long groupOf(long ino) {
        return (ino - 1) / inodesPerGroup;
    }
}
