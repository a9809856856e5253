package io.amiforge.imagefmt.ext;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The ext4 extent tree of one inode: a 12-byte header ({@code 0xF30A}, entries, max, depth)
 * then 12-byte index entries (depth > 0) or extents (depth 0). The root sits in
 * {@code i_block}; each level down must have exactly one less depth, so a walk takes at most
 * {@link #MAX_DEPTH} + 1 block reads and cannot loop.
 */
final class ExtentMap implements BlockMap {

    static final int MAGIC = 0xF30A;
    static final int MAX_DEPTH = 5;
    private static final int INIT_MAX_LEN = 32768;

    private final ExtFileSystem fs;
    private final Inode inode;
    private long cachedBlock = -1;
    private ByteBuffer cached;

    ExtentMap(ExtFileSystem fs, Inode inode) {
        this.fs = fs;
        this.inode = inode;
    }

    @Override
    public Run map(long logical, long limit) {
        ByteBuffer node = ByteBuffer.wrap(inode.raw, Inode.I_BLOCK, Inode.I_BLOCK_SIZE).slice().order(ByteOrder.LITTLE_ENDIAN);
        long nodeBlock = -1;
        int expectedDepth = -1;
        long next = limit;
        for (int level = 0; level <= MAX_DEPTH + 1; level++) {
            int entries = checkHeader(node, nodeBlock, expectedDepth);
            int depth = Short.toUnsignedInt(node.getShort(6));
            if (depth == 0) {
                for (int i = 0; i < entries; i++) {
                    int at = 12 + 12 * i;
                    long first = Integer.toUnsignedLong(node.getInt(at));
                    int len = Short.toUnsignedInt(node.getShort(at + 4));
                    boolean unwritten = len > INIT_MAX_LEN;
                    if (unwritten) {
                        len -= INIT_MAX_LEN;
                    }
                    long start = Integer.toUnsignedLong(node.getInt(at + 8)) | ((long) Short.toUnsignedInt(node.getShort(at + 6)) << 32);
                    if (logical < first) {
                        next = Math.min(next, first);
                        break;
                    }
                    if (logical < first + len) {
                        if (len == 0 || start <= fs.superblock().firstDataBlock() || start + len > fs.superblock().blocksCount()) {
                            throw ExtErrors.corrupt(fs.name(), "inode %d: extent %d in %s maps %d blocks at block %d, outside the filesystem (%d blocks)"
                                    .formatted(inode.number, i, where(nodeBlock), len, start, fs.superblock().blocksCount()));
                        }
                        long skip = logical - first;
                        long length = Math.min(len - skip, Math.max(1, limit - logical));
                        return new Run(logical, unwritten ? 0 : start + skip, length);
                    }
                }
                return new Run(logical, 0, Math.max(1, next - logical));
            }
            int chosen = -1;
            for (int i = 0; i < entries; i++) {
                long first = Integer.toUnsignedLong(node.getInt(12 + 12 * i));
                if (first <= logical) {
                    chosen = i;
                } else {
                    next = Math.min(next, first);
                    break;
                }
            }
            if (chosen < 0) {
                return new Run(logical, 0, Math.max(1, next - logical));
            }
            int at = 12 + 12 * chosen;
            long child = Integer.toUnsignedLong(node.getInt(at + 4)) | ((long) Short.toUnsignedInt(node.getShort(at + 8)) << 32);
            if (child <= fs.superblock().firstDataBlock() || child >= fs.superblock().blocksCount()) {
                throw ExtErrors.corrupt(fs.name(), "inode %d: extent index %d in %s points to block %d, outside the filesystem (%d blocks)"
                        .formatted(inode.number, chosen, where(nodeBlock), child, fs.superblock().blocksCount()));
            }
            expectedDepth = depth - 1;
            nodeBlock = child;
            node = block(child);
        }
        throw ExtErrors.corrupt(fs.name(), "inode %d: extent tree deeper than %d".formatted(inode.number, MAX_DEPTH));
    }

    private ByteBuffer block(long number) {
        if (number != cachedBlock) {
            cached = ByteBuffer.wrap(fs.readBlock(number, "extent tree block of inode " + inode.number)).order(ByteOrder.LITTLE_ENDIAN);
            cachedBlock = number;
        }
        return cached;
    }

    private String where(long nodeBlock) {
        return nodeBlock < 0 ? "the inode's extent root" : "extent block " + nodeBlock;
    }

    private int checkHeader(ByteBuffer node, long nodeBlock, int expectedDepth) {
        int magic = Short.toUnsignedInt(node.getShort(0));
        int entries = Short.toUnsignedInt(node.getShort(2));
        int max = Short.toUnsignedInt(node.getShort(4));
        int depth = Short.toUnsignedInt(node.getShort(6));
        int capacity = (node.capacity() - 12) / 12;
        String problem = null;
        if (magic != MAGIC) {
            problem = "magic 0x%04x (expected 0xf30a)".formatted(magic);
        } else if (max > capacity || entries > max) {
            problem = "%d entries of max %d (room for %d)".formatted(entries, max, capacity);
        } else if (expectedDepth >= 0 ? depth != expectedDepth : depth > MAX_DEPTH) {
            problem = "depth %d (expected %s)".formatted(depth, expectedDepth >= 0 ? String.valueOf(expectedDepth) : "at most " + MAX_DEPTH);
        }
        if (problem != null) {
            throw ExtErrors.corrupt(fs.name(), "inode %d: bad extent header in %s: %s".formatted(inode.number, where(nodeBlock), problem));
        }
        return entries;
    }
}
