package io.amiforge.imagefmt.ext;

import io.amiforge.imagefmt.ext.Ext2Writer.BlockRun;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a directory: linear (unindexed) entry blocks with the file type in each entry,
 * {@code .} and {@code ..} first, then the children in the tree's (name) order; the last
 * entry of each block stretches to its end. Blocks come from the allocator in order, then the
 * directory's indirect blocks, if any.
 */
final class DirectoryWriter {

    private final int bs;
    private final BlockAllocator allocator;
    private final BlockBatch out;
    private final IndirectBlocks indirect;
    private final InodeRecords inodes;

    DirectoryWriter(int blockSize, BlockAllocator allocator, BlockBatch out, IndirectBlocks indirect, InodeRecords inodes) {
        this.bs = blockSize;
        this.allocator = allocator;
        this.out = out;
        this.indirect = indirect;
        this.inodes = inodes;
    }

    /** Writes directory {@code n} as inode {@code ino} under {@code parent}; {@code numbers} gives every child's inode. */
    void write(long ino, long parent, SourceTree.Node n, Map<SourceTree.Node, Long> numbers, int nlinks) {
        List<byte[]> blocks = entryBlocks(ino, parent, n, numbers);
        int[] iblock = new int[15];
        List<BlockRun> dirRuns = new ArrayList<>();
        for (int l = 0; l < blocks.size(); l++) {
            long b = allocator.allocate();
            out.write(b, blocks.get(l), 0);
            dirRuns.add(new BlockRun(l, b, 1));
        }
        long meta = indirect.build(dirRuns, iblock);
        inodes.put(ino, n, FileType.DIRECTORY, (long) blocks.size() * bs, nlinks, (blocks.size() + meta) * (bs / 512), iblock);
    }

    private List<byte[]> entryBlocks(long ino, long parent, SourceTree.Node n, Map<SourceTree.Node, Long> numbers) {
        List<Entry> entries = new ArrayList<>();
        entries.add(new Entry(".".getBytes(StandardCharsets.US_ASCII), ino, FileType.DIRECTORY));
        entries.add(new Entry("..".getBytes(StandardCharsets.US_ASCII), parent, FileType.DIRECTORY));
        for (Map.Entry<String, SourceTree.Node> e : n.children.entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            if (name.length == 0 || name.length > 255 || e.getKey().contains("/")) {
                throw ExtErrors.usage("directory entry name '" + e.getKey() + "' is not 1 to 255 bytes without '/'");
            }
            entries.add(new Entry(name, numbers.get(e.getValue()), e.getValue().type));
        }
        List<byte[]> blocks = new ArrayList<>();
        ByteBuffer cur = ByteBuffer.allocate(bs).order(ByteOrder.LITTLE_ENDIAN);
        int lastAt = -1;
        int pos = 0;
        for (Entry entry : entries) {
            int rec = (8 + entry.name.length + 3) & ~3;
            if (pos + rec > bs) {
                cur.putShort(lastAt + 4, (short) (bs - lastAt));
                blocks.add(cur.array());
                cur = ByteBuffer.allocate(bs).order(ByteOrder.LITTLE_ENDIAN);
                pos = 0;
            }
            cur.putInt(pos, (int) entry.ino);
            cur.putShort(pos + 4, (short) rec);
            cur.put(pos + 6, (byte) entry.name.length);
            cur.put(pos + 7, (byte) entry.type.direntType());
            cur.put(pos + 8, entry.name);
            lastAt = pos;
            pos += rec;
        }
        cur.putShort(lastAt + 4, (short) (bs - lastAt));
        blocks.add(cur.array());
        return blocks;
    }

    private record Entry(byte[] name, long ino, FileType type) {
    }
}
