package io.amiforge.imagefmt.ext;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Writes a {@link SourceTree} as a new ext2 filesystem (revision 1, 256-byte inodes, features
 * {@code filetype sparse_super large_file}) over the whole of a device.
 *
 * <p>Layout: block groups of {@code 8 * blockSize} blocks; groups 0, 1 and powers of 3, 5, 7
 * carry a superblock and descriptor-table backup; then the block bitmap, the inode bitmap and the
 * inode table; data after. Inodes are numbered depth-first in name order (root 2, lost+found 11).
 * Each file's data blocks are allocated in order from one cursor, all-zero blocks become holes
 * (unless the file is asked for contiguously: then every block is allocated, in one run), and
 * its indirect blocks come after its data. The device is discarded first, so unwritten blocks
 * read as zeros.
 *
 * <p>Deterministic: the UUID and hash seed are derived from the tree's metadata, the size and the
 * label; with {@code sourceDateEpoch} set, file times are clamped to it and the filesystem times
 * are it, so the same inputs give the same bytes.
 *
 * <p>This class walks the tree and wires the parts: {@code Ext2Layout} (groups and tables),
 * {@code InodeNumbering}, {@code BlockAllocator}, {@code BlockBatch}, {@code FileDataWriter},
 * {@code DirectoryWriter}, {@code IndirectBlocks}, {@code InodeRecords}, {@code Ext2Identity}
 * and {@code GroupMetadataWriter} (bitmaps, inode tables, superblocks).
 */
public final class Ext2Writer {

    static final int INODE_SIZE = 256;
    static final int FIRST_INO = 11;
    static final int LOST_FOUND = 11;
    static final int DIRECT = 12;

    /** How to build: block size (1024, 2048 or 4096), volume label, time, and files to lay out contiguously. */
    public record Options(int blockSize, String label, Long sourceDateEpoch, UUID uuid, Set<String> contiguous, int bytesPerInode) {
        public Options {
            if (blockSize != 1024 && blockSize != 2048 && blockSize != 4096) {
                throw ExtErrors.usage("ext2 block size " + blockSize + " is not 1024, 2048 or 4096");
            }
            label = label == null ? "" : label;
            if (label.getBytes(StandardCharsets.UTF_8).length > 16) {
                throw ExtErrors.usage("volume label '" + label + "' is longer than 16 bytes");
            }
            contiguous = contiguous == null ? Set.of() : Set.copyOf(contiguous);
            if (bytesPerInode < 1024) {
                throw ExtErrors.usage("bytes per inode " + bytesPerInode + " is less than 1024");
            }
        }

        /** 4 KiB blocks, no label, one inode per 16 KiB, SOURCE_DATE_EPOCH from the environment. */
        public static Options defaults() {
            return new Options(4096, "", sourceDateEpochFromEnvironment(), null, Set.of(), 16384);
        }

        public Options withContiguous(Set<String> paths) {
            return new Options(blockSize, label, sourceDateEpoch, uuid, paths, bytesPerInode);
        }

        public Options withLabel(String newLabel) {
            return new Options(blockSize, newLabel, sourceDateEpoch, uuid, contiguous, bytesPerInode);
        }

        public Options withSourceDateEpoch(Long epoch) {
            return new Options(blockSize, label, epoch, uuid, contiguous, bytesPerInode);
        }

        public Options withBlockSize(int size) {
            return new Options(size, label, sourceDateEpoch, uuid, contiguous, bytesPerInode);
        }
    }

    /** {@code count} blocks of a file from logical block {@code logical} at physical block {@code physical}. */
    public record BlockRun(long logical, long physical, long count) {
    }

    /** What was written: the filesystem's geometry and every regular file's data runs (by absolute path). */
    public record Result(UUID uuid, int blockSize, long blocksCount, long inodesCount, Map<String, List<BlockRun>> runs) {
        /** The data runs of regular file {@code path} in logical order (holes omitted). */
        public List<BlockRun> blocksOf(String path) {
            List<BlockRun> r = runs.get(path);
            if (r == null) {
                throw new AmiforgeException(AmiforgeException.Kind.NOT_FOUND, "FileNotFound", path + ": not a regular file written to the filesystem");
            }
            return r;
        }
    }

    /** SOURCE_DATE_EPOCH as seconds, or null when unset; a malformed value is a usage error. */
    public static Long sourceDateEpochFromEnvironment() {
        String v = System.getenv("SOURCE_DATE_EPOCH");
        if (v == null || v.isBlank()) {
            return null;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw ExtErrors.usage("SOURCE_DATE_EPOCH '" + v + "' is not a number of seconds");
        }
    }

    private final BlockDevice dev;
    private final SourceTree tree;
    private final long now;
    private final Ext2Layout layout;
    private final BlockAllocator allocator;
    private final BlockBatch out;
    private final InodeRecords inodes;
    private final DirectoryWriter directories;
    private final FileDataWriter files;
    private final Ext2Identity identity;
    private final GroupMetadataWriter metadata;
    private final Map<String, List<BlockRun>> runs = new LinkedHashMap<>();

    private Ext2Writer(BlockDevice dev, SourceTree tree, Options opts) {
        this.dev = dev;
        this.tree = tree;
        this.now = opts.sourceDateEpoch() != null ? opts.sourceDateEpoch() : System.currentTimeMillis() / 1000;
        int bs = opts.blockSize();
        this.layout = new Ext2Layout(dev.name(), dev.size(), bs, opts.bytesPerInode(), InodeNumbering.count(tree.root()) + FIRST_INO);
        this.allocator = new BlockAllocator(layout, dev.name(), dev.size());
        this.out = new BlockBatch(dev, bs);
        this.inodes = new InodeRecords(layout, opts.sourceDateEpoch(), now);
        IndirectBlocks indirect = new IndirectBlocks(bs, allocator, out);
        this.directories = new DirectoryWriter(bs, allocator, out, indirect, inodes);
        this.files = new FileDataWriter(bs, allocator, out, indirect, inodes, opts.contiguous());
        this.identity = new Ext2Identity(tree, opts, layout.blocksCount);
        this.metadata = new GroupMetadataWriter(dev, layout, allocator, inodes, identity, opts.label(), now);
    }

    /** Writes {@code tree} as an ext2 filesystem filling {@code dev}. */
    public static Result write(BlockDevice dev, SourceTree tree, Options opts) {
        try {
            return new Ext2Writer(dev, tree, opts).run();
        } catch (IOException e) {
            throw new AmiforgeException(AmiforgeException.Kind.FAILED, "IOError", dev.name() + ": cannot read source: " + e, e);
        }
    }

    private Result run() throws IOException {
        dev.discard(0, dev.size());
        SourceTree.Node lostFound = tree.root().children.get("lost+found");
        if (lostFound != null && lostFound.type != FileType.DIRECTORY) {
            throw ExtErrors.usage(dev.name() + ": the source tree has a /lost+found that is not a directory");
        }
        if (lostFound == null) {
            lostFound = new SourceTree.Node(FileType.DIRECTORY, 0700, 0, 0, FileTime.fromMillis(now * 1000));
            tree.root().children.put("lost+found", lostFound);
        }
        InodeNumbering numbering = InodeNumbering.of(tree.root(), lostFound);
        // contents, depth first: a directory's block(s), then its children
        ArrayList<Pending> work = new ArrayList<>();
        work.add(new Pending("", tree.root(), 2L));
        Set<Long> written = new HashSet<>();
        while (!work.isEmpty()) {
            Pending item = work.removeLast();
            SourceTree.Node n = item.node();
            long ino = numbering.numbers.get(n);
            if (!written.add(ino)) {
                continue;
            }
            int nlinks = numbering.links.get(ino);
            switch (n.type) {
                case DIRECTORY -> {
                    directories.write(ino, item.parent(), n, numbering.numbers, nlinks);
                    List<Map.Entry<String, SourceTree.Node>> kids = new ArrayList<>(n.children.entrySet());
                    for (int i = kids.size() - 1; i >= 0; i--) {
                        work.add(new Pending(item.path() + "/" + kids.get(i).getKey(), kids.get(i).getValue(), ino));
                    }
                }
                case REGULAR -> runs.put(item.path(), files.writeRegular(ino, item.path(), n, nlinks));
                case SYMLINK -> files.writeSymlink(ino, item.path(), n, nlinks);
                default -> writeSpecial(ino, n, nlinks);
            }
        }
        out.flush();
        metadata.write();
        return new Result(identity.uuid(), layout.blockSize, layout.blocksCount, layout.inodesCount(), runs);
    }

    /** A node waiting to be written: its absolute path and its parent directory's inode. */
    private record Pending(String path, SourceTree.Node node, long parent) {
    }

    /** Devices (major/minor in i_block, old or new encoding), FIFOs and sockets: an inode without data. */
    private void writeSpecial(long ino, SourceTree.Node n, int nlinks) {
        int[] iblock = new int[15];
        if (n.type == FileType.CHAR_DEVICE || n.type == FileType.BLOCK_DEVICE) {
            long rdev = n.rdev;
            long major = ((rdev >>> 8) & 0xFFF) | ((rdev >>> 32) & ~0xFFFL);
            long minor = (rdev & 0xFF) | ((rdev >>> 12) & ~0xFFL);
            if (major < 256 && minor < 256) {
                iblock[0] = (int) ((major << 8) | minor);
            } else {
                iblock[1] = (int) ((minor & 0xFF) | (major << 8) | ((minor & ~0xFFL) << 12));
            }
        }
        inodes.put(ino, n, n.type, 0, nlinks, 0, iblock);
    }
}
