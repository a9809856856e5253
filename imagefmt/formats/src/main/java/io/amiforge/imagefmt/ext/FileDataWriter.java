package io.amiforge.imagefmt.ext;

import io.amiforge.imagefmt.ext.Ext2Writer.BlockRun;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Writes the data of regular files and symbolic links. A file's blocks are allocated in order
 * as it is read; all-zero blocks and the source's own holes become holes (the source's holes
 * are skipped without reading them), unless the file is asked for contiguously: then every
 * block is allocated, in one run. Its indirect blocks come after its data. Symbolic link
 * targets under 60 bytes live in the inode, longer ones in one block.
 */
final class FileDataWriter {

    private final int bs;
    private final BlockAllocator allocator;
    private final BlockBatch out;
    private final IndirectBlocks indirect;
    private final InodeRecords inodes;
    private final Set<String> contiguousPaths;

    FileDataWriter(int blockSize, BlockAllocator allocator, BlockBatch out, IndirectBlocks indirect, InodeRecords inodes,
                   Set<String> contiguousPaths) {
        this.bs = blockSize;
        this.allocator = allocator;
        this.out = out;
        this.indirect = indirect;
        this.inodes = inodes;
        this.contiguousPaths = contiguousPaths;
    }

    /** Writes regular file {@code n} at {@code path} as inode {@code ino}; returns its data runs in logical order. */
    List<BlockRun> writeRegular(long ino, String path, SourceTree.Node n, int nlinks) throws IOException {
        long size = n.content.size();
        long blocks = (size + bs - 1) / bs;
        if (blocks > indirect.maxBlocks() || blocks > 0xFFFFFFFFL) {
            throw ExtErrors.usage("%s: %d bytes is larger than ext2 allows with %d-byte blocks".formatted(path, size, bs));
        }
        boolean contiguous = contiguousPaths.contains(path);
        List<BlockRun> fileRuns = new ArrayList<>();
        long runStart = contiguous && blocks > 0 ? allocator.allocateRun(blocks) : -1;
        byte[] buf = new byte[bs];
        long dataBlocks = 0;
        List<long[]> regions = contiguous ? null : n.content.dataRegions();
        int region = 0;
        long position = 0;
        try (InputStream in = n.content.open()) {
            for (long l = 0; l < blocks; l++) {
                if (regions != null) {
                    // skip whole blocks that lie in a hole of the source without reading them
                    while (region < regions.size() && regions.get(region)[1] <= l * bs) {
                        region++;
                    }
                    long nextData = region < regions.size() ? regions.get(region)[0] : size;
                    long firstDataBlock = nextData / bs;
                    if (firstDataBlock > l) {
                        l = firstDataBlock - 1;
                        continue;
                    }
                    position = skipTo(in, position, l * bs, path);
                }
                int want = (int) Math.min(bs, size - l * bs);
                int got = in.readNBytes(buf, 0, want);
                if (got < want) {
                    throw new IOException(path + ": source file shrank while being copied (expected " + size + " bytes)");
                }
                position += got;
                Arrays.fill(buf, want, bs, (byte) 0);
                long phys;
                if (contiguous) {
                    phys = runStart + l;
                } else {
                    if (isZero(buf)) {
                        continue;
                    }
                    phys = allocator.allocate();
                }
                out.write(phys, buf, 0);
                dataBlocks++;
                append(fileRuns, l, phys);
            }
        }
        int[] iblock = new int[15];
        long meta = indirect.build(fileRuns, iblock);
        inodes.put(ino, n, FileType.REGULAR, size, nlinks, (dataBlocks + meta) * (bs / 512), iblock);
        return List.copyOf(fileRuns);
    }

    private static long skipTo(InputStream in, long position, long target, String path) throws IOException {
        long at = position;
        while (at < target) {
            long k = in.skip(target - at);
            if (k <= 0) {
                throw new IOException(path + ": cannot skip to offset " + target);
            }
            at += k;
        }
        return at;
    }

    /** Adds logical block {@code l} at {@code phys}, extending the last run when it continues it. */
    private static void append(List<BlockRun> fileRuns, long l, long phys) {
        BlockRun last = fileRuns.isEmpty() ? null : fileRuns.getLast();
        if (last != null && last.logical() + last.count() == l && last.physical() + last.count() == phys) {
            fileRuns.set(fileRuns.size() - 1, new BlockRun(last.logical(), last.physical(), last.count() + 1));
        } else {
            fileRuns.add(new BlockRun(l, phys, 1));
        }
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    /** Writes symbolic link {@code n} at {@code path} as inode {@code ino}. */
    void writeSymlink(long ino, String path, SourceTree.Node n, int nlinks) {
        byte[] target = n.target.getBytes(StandardCharsets.UTF_8);
        int[] iblock = new int[15];
        if (target.length == 0 || target.length >= bs) {
            throw ExtErrors.usage("%s: symbolic link target of %d bytes is not 1 to %d bytes".formatted(path, target.length, bs - 1));
        }
        if (target.length < 60) {
            ByteBuffer b = ByteBuffer.allocate(60).order(ByteOrder.LITTLE_ENDIAN);
            b.put(target);
            for (int i = 0; i < 15; i++) {
                iblock[i] = b.getInt(4 * i);
            }
            inodes.put(ino, n, FileType.SYMLINK, target.length, nlinks, 0, iblock);
            return;
        }
        long block = allocator.allocate();
        out.write(block, Arrays.copyOf(target, bs), 0);
        iblock[0] = (int) block;
        inodes.put(ino, n, FileType.SYMLINK, target.length, nlinks, bs / 512, iblock);
    }
}
