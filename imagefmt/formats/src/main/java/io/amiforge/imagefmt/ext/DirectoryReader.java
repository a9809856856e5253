package io.amiforge.imagefmt.ext;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads directory entries linearly, from the directory's blocks or its inline data; correct for
 * htree-indexed directories too (their index blocks look like empty entries). Every record is
 * checked against its block (header, rec_len, name_len) and every inode number against the
 * superblock; damage names the directory inode, the block and the offset.
 */
final class DirectoryReader {

    private final ExtFileSystem fs;
    private final Superblock sb;

    DirectoryReader(ExtFileSystem fs, Superblock sb) {
        this.fs = fs;
        this.sb = sb;
    }

    /** Called for each live entry; return false to stop. */
    @FunctionalInterface
    interface EntryVisitor {
        boolean visit(byte[] buf, int nameOffset, int nameLength, long inode, int fileType);
    }

    /** Calls {@code visitor} for each live entry of {@code dir}, in on-disk order, until it returns false. */
    void forEachEntry(Inode dir, EntryVisitor visitor) {
        fs.checkSize(dir);
        if (dir.has(Inode.FLAG_INLINE_DATA)) {
            byte[] data = InlineData.of(dir, fs.name());
            long parent = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).getInt(0) & 0xFFFFFFFFL;
            byte[] dots = "...".getBytes(StandardCharsets.US_ASCII);
            if (!visitor.visit(dots, 0, 1, dir.number, 2) || !visitor.visit(dots, 0, 2, parent, 2)) {
                return;
            }
            if (!parseEntries(dir, -1, data, 4, Inode.I_BLOCK_SIZE, visitor)) {
                return;
            }
            if (data.length > Inode.I_BLOCK_SIZE) {
                parseEntries(dir, -1, data, Inode.I_BLOCK_SIZE, data.length, visitor);
            }
            return;
        }
        int bs = sb.blockSize();
        long blocks = (dir.size + bs - 1) / bs;
        BlockMap map = fs.mapOf(dir);
        long logical = 0;
        long read = 0;
        while (logical < blocks) {
            Run run = map.map(logical, blocks);
            long n = Math.min(run.length(), blocks - logical);
            if (!run.isHole()) {
                for (long i = 0; i < n; i++) {
                    if (++read > sb.blocksCount()) {
                        throw ExtErrors.corrupt(fs.name(), "directory inode %d maps more blocks than the filesystem has".formatted(dir.number));
                    }
                    byte[] block = fs.readBlock(run.physical() + i, "directory block of inode " + dir.number);
                    if (!parseEntries(dir, run.physical() + i, block, 0, bs, visitor)) {
                        return;
                    }
                }
            }
            logical += n;
        }
    }

    private boolean parseEntries(Inode dir, long block, byte[] buf, int from, int to, EntryVisitor visitor) {
        boolean fileType = sb.hasIncompat(Superblock.INCOMPAT_FILETYPE);
        int off = from;
        while (off < to) {
            String where = block < 0 ? "inline data" : "block " + block;
            if (off + 8 > to) {
                throw ExtErrors.corrupt(fs.name(), "directory inode %d, %s, offset %d: entry header runs past the end (%d)"
                        .formatted(dir.number, where, off - from, to - from));
            }
            long ino = (buf[off] & 0xFF) | (buf[off + 1] & 0xFF) << 8 | (buf[off + 2] & 0xFF) << 16 | (long) (buf[off + 3] & 0xFF) << 24;
            int rec = (buf[off + 4] & 0xFF) | (buf[off + 5] & 0xFF) << 8;
            int nameLen = fileType ? buf[off + 6] & 0xFF : (buf[off + 6] & 0xFF) | (buf[off + 7] & 0xFF) << 8;
            int ft = fileType ? buf[off + 7] & 0xFF : 0;
            if (block >= 0 && rec == 0 && sb.blockSize() == 65536 && off == from) {
                rec = 65536; // rec_len 0 encodes 64 KiB in 64 KiB blocks
            }
            if (rec < 8 || rec % 4 != 0 || off + rec > to || nameLen + 8 > rec) {
                throw ExtErrors.corrupt(fs.name(), "directory inode %d, %s, offset %d: bad entry (rec_len %d, name_len %d, room %d)"
                        .formatted(dir.number, where, off - from, rec, nameLen, to - off));
            }
            if (ino != 0 && nameLen > 0) {
                if (ino > sb.inodesCount()) {
                    throw ExtErrors.corrupt(fs.name(), "directory inode %d, %s, offset %d: entry names inode %d, past s_inodes_count %d"
                            .formatted(dir.number, where, off - from, ino, sb.inodesCount()));
                }
                if (!visitor.visit(buf, off + 8, nameLen, ino, ft)) {
                    return false;
                }
            }
            off += rec;
        }
        return true;
    }

    /** The inode named {@code component} in directory {@code dir}, or -1. */
    long find(Inode dir, byte[] component) {
        long[] found = {-1};
        forEachEntry(dir, (buf, off, len, ino, ft) -> {
            if (len == component.length && Arrays.equals(buf, off, off + len, component, 0, len)) {
                found[0] = ino;
                return false;
            }
            return true;
        });
        return found[0];
    }
}
