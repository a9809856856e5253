package io.amiforge.imagefmt.ext;

import io.amiforge.blockdev.BlockDevice;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * A read-only ext2/ext3/ext4 filesystem on a {@link BlockDevice}.
 *
 * <p>Paths are absolute or relative to the root, '/'-separated, and resolved component by
 * component; symbolic links are followed (at most {@link #MAX_SYMLINKS} per lookup, as Linux
 * does), except in the last component for {@link #lstat} and {@link #readlink}. Directory
 * entries are read linearly, which is correct for htree-indexed directories too (the index
 * blocks look like empty entries). Files read through extents or the indirect block map;
 * holes and unwritten extents read as zeros; inline data is supported.
 *
 * <p>Every on-disk value is checked before use: block and inode numbers against the
 * superblock, every read against the device size, extent headers and directory records
 * against their blocks. Damage is reported as an {@code AmiforgeException} (code
 * {@code InvalidFilesystem}) naming the inode, block and byte offset. Not thread-safe.
 */
public final class ExtFileSystem {

    /** The most symbolic links one lookup follows before failing with ELOOP, as Linux. */
    public static final int MAX_SYMLINKS = 40;
    /** The root directory's inode number. */
    public static final long ROOT = 2;
    /** The most entries one directory listing returns. */
    static final int MAX_LIST = 4_000_000;

    private final BlockDevice device;
    private final Superblock sb;
    private final Map<Long, Long> inodeTables = new HashMap<>();
    private final DirectoryReader directories;
    private final PathResolver paths;

    private ExtFileSystem(BlockDevice device, Superblock sb) {
        this.device = device;
        this.sb = sb;
        this.directories = new DirectoryReader(this, sb);
        this.paths = new PathResolver(this, directories);
    }

    /** Opens the filesystem on {@code device} (read-only use; the device is not closed by this object). */
    public static ExtFileSystem open(BlockDevice device) {
        if (device.size() < Superblock.OFFSET + Superblock.SIZE) {
            throw ExtErrors.corrupt(device.name(), "device of %d bytes is too small for an ext superblock (needs 2048)".formatted(device.size()));
        }
        byte[] raw = new byte[Superblock.SIZE];
        device.read(Superblock.OFFSET, MemorySegment.ofArray(raw));
        return new ExtFileSystem(device, Superblock.parse(device.name(), raw, device.size()));
    }

    /** Whether {@code device} starts with an ext superblock magic (a cheap probe). */
    public static boolean probe(BlockDevice device) {
        if (device.size() < Superblock.OFFSET + Superblock.SIZE) {
            return false;
        }
        byte[] magic = new byte[2];
        device.read(Superblock.OFFSET + 0x38, MemorySegment.ofArray(magic));
        return (magic[0] & 0xFF) == 0x53 && (magic[1] & 0xFF) == 0xEF;
    }

    public Superblock superblock() {
        return sb;
    }

    String name() {
        return device.name();
    }

    // ---------------------------------------------------------------- public API

    /** The inode number {@code path} names, following every symbolic link. */
    public long lookup(String path) {
        return resolve(path, true).number;
    }

    /** Stat of {@code path}, following symbolic links. */
    public FileStat stat(String path) {
        return resolve(path, true).stat();
    }

    /** Stat of {@code path}; a symbolic link in the last component is not followed. */
    public FileStat lstat(String path) {
        return resolve(path, false).stat();
    }

    /** The target of the symbolic link {@code path}. */
    public String readlink(String path) {
        Inode inode = resolve(path, false);
        if (inode.type() != FileType.SYMLINK) {
            throw ExtErrors.wrongType(name(), path, "a symbolic link");
        }
        return new String(linkTarget(inode), StandardCharsets.UTF_8);
    }

    /** The entries of directory {@code path} ('.' and '..' excluded), in on-disk order. */
    public List<DirEntry> list(String path) {
        Inode dir = resolve(path, true);
        if (dir.type() != FileType.DIRECTORY) {
            throw ExtErrors.notDirectory(name(), path);
        }
        List<DirEntry> out = new ArrayList<>();
        forEachEntry(dir, (buf, off, len, ino, ft) -> {
            if (isDotOrDotDot(buf, off, len)) {
                return true;
            }
            if (out.size() >= MAX_LIST) {
                throw ExtErrors.corrupt(name(), "directory inode %d has more than %d entries".formatted(dir.number, MAX_LIST));
            }
            String entryName = new String(buf, off, len, StandardCharsets.UTF_8);
            out.add(new DirEntry(entryName, inode(ino).stat()));
            return true;
        });
        return out;
    }

    /** The whole content of regular file {@code path}; fails with {@code FileTooLarge} past {@code maxSize} bytes. */
    public byte[] readAll(String path, long maxSize) {
        ExtFile file = openFile(path);
        long size = file.size();
        if (size > maxSize || size > Integer.MAX_VALUE - 16) {
            throw ExtErrors.tooLarge(name(), path, size, Math.min(maxSize, Integer.MAX_VALUE - 16));
        }
        byte[] out = new byte[(int) size];
        int done = 0;
        while (done < out.length) {
            int n = file.read(done, out, done, out.length - done);
            if (n <= 0) {
                break;
            }
            done += n;
        }
        return out;
    }

    /** A handle for positional reads of regular file {@code path} (symbolic links followed). */
    public ExtFile openFile(String path) {
        Inode inode = resolve(path, true);
        if (inode.type() != FileType.REGULAR) {
            throw ExtErrors.wrongType(name(), path, "a regular file");
        }
        return new ExtFile(inode);
    }

    /** A stream over regular file {@code path}. */
    public InputStream openStream(String path) {
        ExtFile file = openFile(path);
        return new InputStream() {
            private long position;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) == 1 ? one[0] & 0xFF : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                int n = file.read(position, b, off, len);
                if (n > 0) {
                    position += n;
                }
                return n;
            }

            @Override
            public long skip(long n) {
                long k = Math.max(0, Math.min(n, file.size() - position));
                position += k;
                return k;
            }

            @Override
            public int available() {
                return (int) Math.min(Integer.MAX_VALUE, file.size() - position);
            }

            @Override
            public void close() throws IOException {
            }
        };
    }

    /**
     * Visits every path below {@code path} (depth first, directories before their contents,
     * without following symbolic links) with its stat. A directory reached twice (a loop made
     * by a damaged image) is an error.
     */
    public void walk(String path, BiConsumer<String, FileStat> visitor) {
        Inode start = resolve(path, true);
        String base = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        Deque<Object[]> stack = new ArrayDeque<>();
        Set<Long> seen = new HashSet<>();
        stack.push(new Object[] {base, start});
        while (!stack.isEmpty()) {
            Object[] top = stack.pop();
            String p = (String) top[0];
            Inode inode = (Inode) top[1];
            visitor.accept(p.isEmpty() ? "/" : p, inode.stat());
            if (inode.type() != FileType.DIRECTORY) {
                continue;
            }
            if (!seen.add(inode.number)) {
                throw ExtErrors.corrupt(name(), "directory loop: directory inode %d is reached again at %s".formatted(inode.number, p));
            }
            List<Object[]> children = new ArrayList<>();
            forEachEntry(inode, (buf, off, len, ino, ft) -> {
                if (!isDotOrDotDot(buf, off, len)) {
                    children.add(new Object[] {p + "/" + new String(buf, off, len, StandardCharsets.UTF_8), inode(ino)});
                }
                return true;
            });
            for (int i = children.size() - 1; i >= 0; i--) {
                stack.push(children.get(i));
            }
        }
    }

    // ---------------------------------------------------------------- files

    /** An open regular file: positional reads through its block map. */
    public final class ExtFile {
        private final Inode inode;
        private final BlockMap map;
        private final byte[] inline;

        ExtFile(Inode inode) {
            this.inode = inode;
            checkSize(inode);
            this.inline = inode.has(Inode.FLAG_INLINE_DATA) ? InlineData.of(inode, name()) : null;
            this.map = inline != null ? null : mapOf(inode);
        }

        public long size() {
            return inode.size;
        }

        public FileStat stat() {
            return inode.stat();
        }

        /**
         * Reads up to {@code len} bytes at file offset {@code position} into {@code dst}; returns how
         * many (fewer only at end of file), or -1 at or past the end.
         */
        public int read(long position, byte[] dst, int off, int len) {
            java.util.Objects.checkFromIndexSize(off, len, dst.length);
            if (position < 0) {
                throw ExtErrors.usage("negative file position " + position);
            }
            if (position >= inode.size) {
                return len == 0 ? 0 : -1;
            }
            int want = (int) Math.min(len, inode.size - position);
            if (inline != null) {
                int have = (int) Math.max(0, Math.min(want, inline.length - position));
                if (have > 0) {
                    System.arraycopy(inline, (int) position, dst, off, have);
                }
                Arrays.fill(dst, off + have, off + want, (byte) 0);
                return want;
            }
            int bs = sb.blockSize();
            int done = 0;
            while (done < want) {
                long pos = position + done;
                long logical = pos / bs;
                int within = (int) (pos % bs);
                long lastBlock = (inode.size - 1) / bs + 1;
                Run run = map.map(logical, lastBlock);
                long runBytes = run.length() * bs - within;
                int n = (int) Math.min(want - done, runBytes);
                if (run.isHole()) {
                    Arrays.fill(dst, off + done, off + done + n, (byte) 0);
                } else {
                    readBytes(run.physical() * bs + within, dst, off + done, n, "data of inode " + inode.number);
                }
                done += n;
            }
            return want;
        }

        /** The physical runs of the file in logical order: (logical block, physical block, length); holes omitted. */
        public List<long[]> runs() {
            List<long[]> out = new ArrayList<>();
            if (map == null) {
                return out;
            }
            long blocks = (inode.size + sb.blockSize() - 1) / sb.blockSize();
            long logical = 0;
            while (logical < blocks) {
                Run r = map.map(logical, blocks);
                if (!r.isHole()) {
                    out.add(new long[] {r.logical(), r.physical(), Math.min(r.length(), blocks - logical)});
                }
                logical += r.length();
            }
            return out;
        }
    }

    void checkSize(Inode inode) {
        long max = (1L << 32) * sb.blockSize();
        if (inode.size < 0 || inode.size > max) {
            throw ExtErrors.corrupt(name(), "inode %d: size %d is larger than the format allows (%d)"
                    .formatted(inode.number, inode.size, max));
        }
    }

    BlockMap mapOf(Inode inode) {
        return inode.has(Inode.FLAG_EXTENTS) ? new ExtentMap(this, inode) : new IndirectMap(this, inode);
    }

    /** The target bytes of symbolic link {@code inode} (in i_block, inline data or a data block). */
    byte[] linkTarget(Inode inode) {
        if (inode.size > sb.blockSize() || inode.size > 4096) {
            throw ExtErrors.corrupt(name(), "symbolic link inode %d: length %d exceeds %d".formatted(inode.number, inode.size,
                    Math.min(4096, sb.blockSize())));
        }
        int size = (int) inode.size;
        if (inode.has(Inode.FLAG_INLINE_DATA)) {
            byte[] data = InlineData.of(inode, name());
            return Arrays.copyOf(data, Math.min(size, data.length));
        }
        long eaBlocks = inode.fileAcl != 0 ? sb.blockSize() / 512 : 0;
        if (inode.blocks512 - eaBlocks == 0) {
            if (size >= Inode.I_BLOCK_SIZE) {
                throw ExtErrors.corrupt(name(), "fast symbolic link inode %d: length %d does not fit i_block (60 bytes)"
                        .formatted(inode.number, size));
            }
            return Arrays.copyOfRange(inode.raw, Inode.I_BLOCK, Inode.I_BLOCK + size);
        }
        byte[] out = new byte[size];
        new ExtFile(inode).read(0, out, 0, size);
        return out;
    }

    // ---------------------------------------------------------------- directories

    private static boolean isDotOrDotDot(byte[] buf, int off, int len) {
        return (len == 1 && buf[off] == '.') || (len == 2 && buf[off] == '.' && buf[off + 1] == '.');
    }

    /** Calls {@code visitor} for each live entry of directory {@code dir} (see {@link DirectoryReader}). */
    void forEachEntry(Inode dir, DirectoryReader.EntryVisitor visitor) {
        directories.forEachEntry(dir, visitor);
    }

    private Inode resolve(String path, boolean followLast) {
        return paths.resolve(path, followLast);
    }

    // ---------------------------------------------------------------- blocks and inodes

    Inode inode(long number) {
        if (number < 1 || number > sb.inodesCount()) {
            throw ExtErrors.corrupt(name(), "inode number %d is outside [1, %d]".formatted(number, sb.inodesCount()));
        }
        long group = (number - 1) / sb.inodesPerGroup();
        long index = (number - 1) % sb.inodesPerGroup();
        long table = inodeTable(group);
        long offset = Math.addExact(Math.multiplyExact(table, (long) sb.blockSize()), index * sb.inodeSize());
        byte[] raw = new byte[sb.inodeSize()];
        readBytes(offset, raw, 0, raw.length, "inode " + number);
        return new Inode(number, raw, sb.hasIncompat(Superblock.INCOMPAT_LARGEDIR));
    }

    private long inodeTable(long group) {
        Long cached = inodeTables.get(group);
        if (cached != null) {
            return cached;
        }
        int ds = sb.descSize();
        long perBlock = sb.blockSize() / ds;
        long descBlock;
        long metaGroup = group / perBlock;
        if (sb.hasIncompat(Superblock.INCOMPAT_META_BG) && metaGroup >= sb.firstMetaBg()) {
            long firstGroup = metaGroup * perBlock;
            descBlock = sb.firstDataBlock() + firstGroup * sb.blocksPerGroup() + (sb.hasSuperblockBackup(firstGroup) ? 1 : 0);
        } else {
            descBlock = sb.firstDataBlock() + 1 + metaGroup;
        }
        long offset = Math.addExact(Math.multiplyExact(descBlock, (long) sb.blockSize()), (group % perBlock) * ds);
        byte[] d = new byte[ds];
        readBytes(offset, d, 0, ds, "group descriptor " + group);
        ByteBuffer b = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
        long table = Integer.toUnsignedLong(b.getInt(8));
        if (ds >= 64) {
            table |= Integer.toUnsignedLong(b.getInt(0x28)) << 32;
        }
        if (table < sb.firstDataBlock() + 1 || table > sb.blocksCount() - sb.inodeTableBlocks()) {
            throw ExtErrors.corrupt(name(), "group descriptor %d (byte %d): inode table at block %d is outside the filesystem (%d blocks)"
                    .formatted(group, offset, table, sb.blocksCount()));
        }
        inodeTables.put(group, table);
        return table;
    }

    byte[] readBlock(long block, String what) {
        if (block < 0 || block >= sb.blocksCount()) {
            throw ExtErrors.corrupt(name(), "%s: block %d is outside the filesystem (%d blocks)".formatted(what, block, sb.blocksCount()));
        }
        byte[] out = new byte[sb.blockSize()];
        readBytes(block * sb.blockSize(), out, 0, out.length, what + " (block " + block + ")");
        return out;
    }

    private void readBytes(long offset, byte[] dst, int off, int len, String what) {
        if (offset < 0 || offset > device.size() - len) {
            throw ExtErrors.corrupt(name(), "%s: bytes [%d, +%d) are past the end of the device (%d bytes): truncated image?"
                    .formatted(what, offset, len, device.size()));
        }
        device.read(offset, MemorySegment.ofArray(dst).asSlice(off, len));
    }
}
