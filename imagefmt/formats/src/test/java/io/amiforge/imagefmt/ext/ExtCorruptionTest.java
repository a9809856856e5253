package io.amiforge.imagefmt.ext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.MemoryBlockDevice;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;

/** Specific damage at specific offsets of images our writer makes: each gives its own clear error. */
class ExtCorruptionTest {

    private static final FileTime T = FileTime.fromMillis(0);

    private static BlockDevice image() {
        SourceTree tree = SourceTree.empty(T);
        tree.mkdirs("/d0/d1/d2", T);
        tree.putFile("/d0/file", "hello".getBytes(), 0644, 0, 0, T);
        byte[] big = new byte[200_000];
        java.util.Arrays.fill(big, (byte) 1);
        tree.putFile("/big", big, 0644, 0, 0, T);
        BlockDevice dev = new MemoryBlockDevice("corrupt.img", 8L << 20);
        Ext2Writer.write(dev, tree, Ext2Writer.Options.defaults().withBlockSize(1024).withSourceDateEpoch(0L));
        return dev;
    }

    private static void poke(BlockDevice dev, long offset, int value) {
        byte[] b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array();
        dev.write(offset, MemorySegment.ofArray(b));
    }

    private static long inodeOffset(ExtFileSystem fs, BlockDevice dev, long ino) {
        byte[] gd = new byte[32];
        dev.read(2048, MemorySegment.ofArray(gd));
        long table = ByteBuffer.wrap(gd).order(ByteOrder.LITTLE_ENDIAN).getInt(8);
        return table * 1024 + (ino - 1) * 256; // all inodes here are in group 0
    }

    /** Byte offset of the entry named {@code name} in the first block of directory {@code dir}. */
    private static long entryOffset(ExtFileSystem fs, BlockDevice dev, String dir, String name) {
        long block = ByteBuffer.wrap(fs.inode(fs.lookup(dir)).raw).order(ByteOrder.LITTLE_ENDIAN).getInt(Inode.I_BLOCK);
        byte[] b = new byte[1024];
        dev.read(block * 1024, MemorySegment.ofArray(b));
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int off = 0;
        while (off < 1024) {
            int rec = Short.toUnsignedInt(buf.getShort(off + 4));
            int len = b[off + 6] & 0xFF;
            if (new String(b, off + 8, len, StandardCharsets.UTF_8).equals(name)) {
                return block * 1024 + off;
            }
            off += rec;
        }
        throw new AssertionError(name + " not in " + dir);
    }

    @Test
    void directoryLoopIsDetected() {
        try (BlockDevice dev = image()) {
            ExtFileSystem fs = ExtFileSystem.open(dev);
            long d0 = fs.lookup("/d0");
            poke(dev, entryOffset(fs, dev, "/d0/d1", "d2"), (int) d0); // /d0/d1/d2 is now /d0 again
            ExtFileSystem damaged = ExtFileSystem.open(dev);
            assertThatThrownBy(() -> damaged.walk("/", (p, s) -> { })).isInstanceOf(AmiforgeException.class)
                    .hasMessageContaining("directory loop").hasMessageContaining("inode " + d0);
            assertThat(damaged.lookup("/d0/d1/d2/d1/d2/d1/d2/file")).isEqualTo(fs.lookup("/d0/file"));
        }
    }

    @Test
    void entryWithImpossibleInodeNumber() {
        try (BlockDevice dev = image()) {
            ExtFileSystem fs = ExtFileSystem.open(dev);
            poke(dev, entryOffset(fs, dev, "/d0", "file"), 0x7FFFFFF0);
            assertThatThrownBy(() -> ExtFileSystem.open(dev).list("/d0")).isInstanceOf(AmiforgeException.class)
                    .hasMessageContaining("directory inode " + fs.lookup("/d0")).hasMessageContaining("inode 2147483632")
                    .hasMessageContaining("offset");
        }
    }

    @Test
    void badRecordLength() {
        try (BlockDevice dev = image()) {
            ExtFileSystem fs = ExtFileSystem.open(dev);
            dev.write(entryOffset(fs, dev, "/d0", "file") + 4, MemorySegment.ofArray(new byte[] {3, 0}));
            assertThatThrownBy(() -> ExtFileSystem.open(dev).list("/d0")).hasMessageContaining("bad entry (rec_len 3");
        }
    }

    @Test
    void blockPointerPastTheEnd() {
        try (BlockDevice dev = image()) {
            ExtFileSystem fs = ExtFileSystem.open(dev);
            long ino = fs.lookup("/big");
            poke(dev, inodeOffset(fs, dev, ino) + Inode.I_BLOCK + 4 * 12, 0x00FFFFFF); // single indirect block
            assertThatThrownBy(() -> ExtFileSystem.open(dev).readAll("/big", 1 << 20)).isInstanceOf(AmiforgeException.class)
                    .hasMessageContaining("inode " + ino).hasMessageContaining("block 16777215").hasMessageContaining("outside the filesystem");
        }
    }

    @Test
    void absurdSuperblockValues() {
        int[][] cases = {{0x18, 30}, {0x20, 0}, {0x28, 0}, {0x00, -1}, {0x04, 0}, {0x58, 100}};
        String[] expected = {"s_log_block_size", "s_blocks_per_group", "s_inodes_per_group", "s_inodes_count", "s_blocks_count", "s_inode_size"};
        for (int i = 0; i < cases.length; i++) {
            try (BlockDevice dev = image()) {
                if (cases[i][0] == 0x58) {
                    dev.write(1024 + 0x58, MemorySegment.ofArray(new byte[] {100, 0}));
                } else {
                    poke(dev, 1024 + cases[i][0], cases[i][1]);
                }
                assertThatThrownBy(() -> ExtFileSystem.open(dev)).isInstanceOf(AmiforgeException.class)
                        .hasMessageContaining(expected[i]).hasMessageContaining("byte 0x");
            }
        }
    }

    @Test
    void hugeSizeIsBoundedByTheCaller() {
        try (BlockDevice dev = image()) {
            ExtFileSystem fs = ExtFileSystem.open(dev);
            long ino = fs.lookup("/d0/file");
            poke(dev, inodeOffset(fs, dev, ino) + 0x6C, 0x7FFF); // i_size_high: a 140 TB file
            ExtFileSystem damaged = ExtFileSystem.open(dev);
            assertThatThrownBy(() -> damaged.readAll("/d0/file", 1 << 20)).hasMessageContaining("larger than the format allows");
        }
    }

    @Test
    void corruptExtentHeaderNamesTheInode() {
        try (BlockDevice dev = image()) {
            ExtFileSystem fs = ExtFileSystem.open(dev);
            long ino = fs.lookup("/d0/file");
            long at = inodeOffset(fs, dev, ino);
            poke(dev, at + 0x20, Inode.FLAG_EXTENTS); // claims extents; i_block holds a block map instead
            assertThatThrownBy(() -> ExtFileSystem.open(dev).readAll("/d0/file", 100))
                    .hasMessageContaining("inode " + ino).hasMessageContaining("bad extent header").hasMessageContaining("magic");
        }
    }
}
