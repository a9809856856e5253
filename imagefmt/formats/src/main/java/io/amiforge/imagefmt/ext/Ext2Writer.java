package io.amiforge.imagefmt.ext;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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
    private final Options opts;
    private final int bs;
    private long blocksCount;
    private final long firstData;
    private final long bpg;
    private long groups;
    private long ipg;
    private long itb;
    private int gdtBlocks;
    private BitSet used;
    private long cursor;
    private final long now;
    private final Map<Long, byte[]> inodes = new TreeMap<>();
    private final Map<String, List<BlockRun>> runs = new LinkedHashMap<>();
    private final long[] usedDirs;
    private final Map<Object, Long> hardLinks = new HashMap<>();
    private final byte[] batch;
    private long batchStart = -1;
    private int batchBlocks;

    private Ext2Writer(BlockDevice dev, SourceTree tree, Options opts) {
        this.dev = dev;
        this.tree = tree;
        this.opts = opts;
        this.bs = opts.blockSize();
        this.firstData = bs == 1024 ? 1 : 0;
        this.bpg = 8L * bs;
        this.now = opts.sourceDateEpoch() != null ? opts.sourceDateEpoch() : System.currentTimeMillis() / 1000;
        this.blocksCount = dev.size() / bs;
        if (blocksCount >= Integer.MAX_VALUE) {
            throw ExtErrors.usage("%s: %d bytes is too large for ext2 with %d-byte blocks".formatted(dev.name(), dev.size(), bs));
        }
        layout(countInodes(tree.root()) + FIRST_INO);
        this.usedDirs = new long[(int) groups];
        this.batch = new byte[Math.max(bs, 1 << 20)];
    }

    /** Writes {@code tree} as an ext2 filesystem filling {@code dev}. */
    public static Result write(BlockDevice dev, SourceTree tree, Options opts) {
        Ext2Writer w = new Ext2Writer(dev, tree, opts);
        try {
            return w.run();
        } catch (IOException e) {
            throw new AmiforgeException(AmiforgeException.Kind.FAILED, "IOError", dev.name() + ": cannot read source: " + e, e);
        }
    }

    // ---------------------------------------------------------------- geometry

    private static long countInodes(SourceTree.Node root) {
        long count = 0;
        Set<Object> keys = new java.util.HashSet<>();
        ArrayList<SourceTree.Node> stack = new ArrayList<>(List.of(root));
        while (!stack.isEmpty()) {
            SourceTree.Node n = stack.removeLast();
            if (n.linkKey == null || keys.add(n.linkKey)) {
                count++;
            }
            stack.addAll(n.children.values());
        }
        return count + 1; // lost+found
    }

    private boolean hasSuper(long g) {
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

    private long groupStart(long g) {
        return firstData + g * bpg;
    }

    private long groupBlocks(long g) {
        return Math.min(bpg, blocksCount - groupStart(g));
    }

    private long metaStart(long g) {
        return groupStart(g) + (hasSuper(g) ? 1 + gdtBlocks : 0);
    }

    private long dataStart(long g) {
        return metaStart(g) + 2 + itb;
    }

    private void layout(long inodesNeeded) {
        for (int attempt = 0; attempt < 3; attempt++) {
            if (blocksCount - firstData < 64) {
                throw ExtErrors.usage("%s: %d bytes is too small for an ext2 filesystem".formatted(dev.name(), dev.size()));
            }
            groups = (blocksCount - firstData + bpg - 1) / bpg;
            gdtBlocks = (int) ((groups * 32 + bs - 1) / bs);
            long byRatio = blocksCount * bs / opts.bytesPerInode();
            long wanted = Math.max(inodesNeeded + inodesNeeded / 10 + 16, byRatio);
            long perBlock = bs / INODE_SIZE;
            long align = Math.max(8, perBlock);
            ipg = (wanted + groups - 1) / groups;
            ipg = (ipg + align - 1) / align * align;
            ipg = Math.min(ipg, 8L * bs);
            if (ipg * groups < inodesNeeded) {
                throw ExtErrors.usage("%s: %d files do not fit in a filesystem of %d bytes".formatted(dev.name(), inodesNeeded - FIRST_INO, dev.size()));
            }
            itb = ipg * INODE_SIZE / bs;
            long last = groups - 1;
            long overhead = dataStart(last) - groupStart(last);
            if (groupBlocks(last) >= overhead + 16) {
                return;
            }
            if (groups == 1) {
                throw ExtErrors.usage("%s: %d bytes is too small for an ext2 filesystem".formatted(dev.name(), dev.size()));
            }
            blocksCount = groupStart(last); // drop a last group too small for its own metadata, as mke2fs does
        }
    }

    // ---------------------------------------------------------------- writing

    private Result run() throws IOException {
        dev.discard(0, dev.size());
        used = new BitSet((int) Math.min(Integer.MAX_VALUE, blocksCount));
        for (long g = 0; g < groups; g++) {
            used.set((int) groupStart(g), (int) dataStart(g));
        }
        cursor = dataStart(0);
        // inode numbers: root 2, lost+found 11, the rest depth first in name order
        Map<SourceTree.Node, Long> numbers = new java.util.IdentityHashMap<>();
        numbers.put(tree.root(), 2L);
        long next = FIRST_INO + 1;
        SourceTree.Node lostFound = tree.root().children.get("lost+found");
        if (lostFound != null && lostFound.type != FileType.DIRECTORY) {
            throw ExtErrors.usage(dev.name() + ": the source tree has a /lost+found that is not a directory");
        }
        if (lostFound == null) {
            lostFound = new SourceTree.Node(FileType.DIRECTORY, 0700, 0, 0, FileTime.fromMillis(now * 1000));
            tree.root().children.put("lost+found", lostFound);
        }
        numbers.put(lostFound, (long) LOST_FOUND);
        ArrayList<SourceTree.Node> stack = new ArrayList<>(List.of(tree.root()));
        while (!stack.isEmpty()) {
            SourceTree.Node n = stack.removeLast();
            List<SourceTree.Node> kids = new ArrayList<>(n.children.values());
            for (SourceTree.Node c : kids) {
                if (numbers.containsKey(c)) {
                    continue;
                }
                if (c.linkKey != null && hardLinks.containsKey(c.linkKey)) {
                    numbers.put(c, hardLinks.get(c.linkKey));
                    continue;
                }
                numbers.put(c, next);
                if (c.linkKey != null) {
                    hardLinks.put(c.linkKey, next);
                }
                next++;
            }
            for (int i = kids.size() - 1; i >= 0; i--) {
                if (kids.get(i).type == FileType.DIRECTORY) {
                    stack.add(kids.get(i));
                }
            }
        }
        // link counts
        Map<Long, Integer> links = new HashMap<>();
        stack.add(tree.root());
        while (!stack.isEmpty()) {
            SourceTree.Node n = stack.removeLast();
            long ino = numbers.get(n);
            if (n.type == FileType.DIRECTORY) {
                int subdirs = (int) n.children.values().stream().filter(c -> c.type == FileType.DIRECTORY).count();
                links.put(ino, 2 + subdirs);
                stack.addAll(n.children.values().stream().filter(c -> c.type == FileType.DIRECTORY).toList());
                for (SourceTree.Node c : n.children.values()) {
                    if (c.type != FileType.DIRECTORY) {
                        links.merge(numbers.get(c), 1, Integer::sum);
                    }
                }
            }
        }
        // contents, depth first: a directory's block(s), then its children
        ArrayList<Object[]> work = new ArrayList<>();
        work.add(new Object[] {"", tree.root(), 2L});
        java.util.Set<Long> written = new java.util.HashSet<>();
        while (!work.isEmpty()) {
            Object[] item = work.removeLast();
            String path = (String) item[0];
            SourceTree.Node n = (SourceTree.Node) item[1];
            long parent = (Long) item[2];
            long ino = numbers.get(n);
            if (!written.add(ino)) {
                continue;
            }
            int nlinks = links.get(ino);
            switch (n.type) {
                case DIRECTORY -> {
                    writeDirectory(ino, parent, n, numbers, nlinks);
                    List<Map.Entry<String, SourceTree.Node>> kids = new ArrayList<>(n.children.entrySet());
                    for (int i = kids.size() - 1; i >= 0; i--) {
                        work.add(new Object[] {path + "/" + kids.get(i).getKey(), kids.get(i).getValue(), ino});
                    }
                }
                case REGULAR -> writeFile(ino, path, n, nlinks);
                case SYMLINK -> writeSymlink(ino, path, n, nlinks);
                default -> writeSpecial(ino, n, nlinks);
            }
        }
        flushBatch();
        writeMetadata();
        return new Result(uuid(), bs, blocksCount, ipg * groups, runs);
    }

    private long allocate() {
        while (true) {
            if (cursor >= blocksCount) {
                throw full();
            }
            if (!used.get((int) cursor)) {
                used.set((int) cursor);
                return cursor++;
            }
            long g = (cursor - firstData) / bpg;
            cursor = cursor < dataStart(g) ? dataStart(g) : groupStart(g + 1);
            if (g + 1 < groups && cursor == groupStart(g + 1)) {
                cursor = dataStart(g + 1);
            }
        }
    }

    /** {@code n} consecutive free data blocks (the first run at or after the cursor that fits). */
    private long allocateRun(long n) {
        long g = Math.max(0, (cursor - firstData) / bpg);
        long start = Math.max(cursor, dataStart(g));
        while (g < groups) {
            long end = groupStart(g) + groupBlocks(g);
            // a run may cross into the next group only if that group has no metadata at its start: never here
            if (end - start >= n) {
                used.set((int) start, (int) (start + n));
                cursor = start + n;
                return start;
            }
            g++;
            if (g < groups) {
                start = dataStart(g);
            }
        }
        throw new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidParameterValue",
                "%s: no run of %d contiguous free blocks left (block groups hold %d data blocks at most)"
                        .formatted(dev.name(), n, bpg));
    }

    private AmiforgeException full() {
        return new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidParameterValue",
                "%s: the source tree does not fit in %d bytes (%d blocks of %d bytes)".formatted(dev.name(), dev.size(), blocksCount, bs));
    }

    private void writeBlock(long block, byte[] data, int off) {
        if (batchStart >= 0 && block == batchStart + batchBlocks && (batchBlocks + 1) * bs <= batch.length) {
            System.arraycopy(data, off, batch, batchBlocks * bs, bs);
            batchBlocks++;
            return;
        }
        flushBatch();
        batchStart = block;
        batchBlocks = 1;
        System.arraycopy(data, off, batch, 0, bs);
    }

    private void flushBatch() {
        if (batchStart >= 0 && batchBlocks > 0) {
            dev.write(batchStart * bs, MemorySegment.ofArray(batch).asSlice(0, (long) batchBlocks * bs));
        }
        batchStart = -1;
        batchBlocks = 0;
    }

    private void writeFile(long ino, String path, SourceTree.Node n, int nlinks) throws IOException {
        long size = n.content.size();
        long blocks = (size + bs - 1) / bs;
        long maxBlocks = DIRECT + (bs / 4) + (long) (bs / 4) * (bs / 4) + (long) (bs / 4) * (bs / 4) * (bs / 4);
        if (blocks > maxBlocks || blocks > 0xFFFFFFFFL) {
            throw ExtErrors.usage("%s: %d bytes is larger than ext2 allows with %d-byte blocks".formatted(path, size, bs));
        }
        boolean contiguous = opts.contiguous().contains(path);
        List<BlockRun> fileRuns = new ArrayList<>();
        long runStart = contiguous && blocks > 0 ? allocateRun(blocks) : -1;
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
                    long target = l * bs;
                    while (position < target) {
                        long k = in.skip(target - position);
                        if (k <= 0) {
                            throw new IOException(path + ": cannot skip to offset " + target);
                        }
                        position += k;
                    }
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
                    phys = allocate();
                }
                writeBlock(phys, buf, 0);
                dataBlocks++;
                BlockRun last = fileRuns.isEmpty() ? null : fileRuns.getLast();
                if (last != null && last.logical() + last.count() == l && last.physical() + last.count() == phys) {
                    fileRuns.set(fileRuns.size() - 1, new BlockRun(last.logical(), last.physical(), last.count() + 1));
                } else {
                    fileRuns.add(new BlockRun(l, phys, 1));
                }
            }
        }
        int[] iblock = new int[15];
        long meta = buildMap(fileRuns, iblock);
        runs.put(path, List.copyOf(fileRuns));
        putInode(ino, n, FileType.REGULAR, size, nlinks, (dataBlocks + meta) * (bs / 512), iblock);
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    /** Fills i_block from {@code fileRuns}, allocating and writing indirect blocks; returns how many. */
    private long buildMap(List<BlockRun> fileRuns, int[] iblock) {
        for (int l = 0; l < DIRECT; l++) {
            iblock[l] = (int) physical(fileRuns, l);
        }
        long per = bs / 4;
        long[] count = {0};
        long base = DIRECT;
        long span = per;
        for (int level = 1; level <= 3; level++) {
            iblock[DIRECT - 1 + level] = (int) indirect(fileRuns, level, base, count);
            base += span;
            span *= per;
        }
        return count[0];
    }

    private long indirect(List<BlockRun> fileRuns, int level, long lo, long[] count) {
        long per = bs / 4;
        long span = 1;
        for (int i = 0; i < level; i++) {
            span *= per;
        }
        if (!intersects(fileRuns, lo, lo + span)) {
            return 0;
        }
        long block = allocate();
        count[0]++;
        ByteBuffer b = ByteBuffer.allocate(bs).order(ByteOrder.LITTLE_ENDIAN);
        long sub = span / per;
        for (int i = 0; i < per; i++) {
            long from = lo + i * sub;
            long v = level == 1 ? physical(fileRuns, from) : indirect(fileRuns, level - 1, from, count);
            b.putInt(4 * i, (int) v);
        }
        writeBlock(block, b.array(), 0);
        return block;
    }

    private static int runIndex(List<BlockRun> fileRuns, long logical) {
        int lo = 0;
        int hi = fileRuns.size() - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (fileRuns.get(mid).logical() <= logical) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    private static long physical(List<BlockRun> fileRuns, long logical) {
        int i = runIndex(fileRuns, logical);
        if (i < 0) {
            return 0;
        }
        BlockRun r = fileRuns.get(i);
        return logical < r.logical() + r.count() ? r.physical() + (logical - r.logical()) : 0;
    }

    private static boolean intersects(List<BlockRun> fileRuns, long lo, long hi) {
        int i = runIndex(fileRuns, hi - 1);
        return i >= 0 && fileRuns.get(i).logical() + fileRuns.get(i).count() > lo;
    }

    private void writeSymlink(long ino, String path, SourceTree.Node n, int nlinks) {
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
            putInode(ino, n, FileType.SYMLINK, target.length, nlinks, 0, iblock);
            return;
        }
        long block = allocate();
        writeBlock(block, Arrays.copyOf(target, bs), 0);
        iblock[0] = (int) block;
        putInode(ino, n, FileType.SYMLINK, target.length, nlinks, bs / 512, iblock);
    }

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
        putInode(ino, n, n.type, 0, nlinks, 0, iblock);
    }

    private void writeDirectory(long ino, long parent, SourceTree.Node n, Map<SourceTree.Node, Long> numbers, int nlinks) {
        List<byte[]> blocks = new ArrayList<>();
        ByteBuffer cur = ByteBuffer.allocate(bs).order(ByteOrder.LITTLE_ENDIAN);
        int[] lastAt = {-1};
        List<Object[]> entries = new ArrayList<>();
        entries.add(new Object[] {".".getBytes(StandardCharsets.US_ASCII), ino, FileType.DIRECTORY});
        entries.add(new Object[] {"..".getBytes(StandardCharsets.US_ASCII), parent, FileType.DIRECTORY});
        for (Map.Entry<String, SourceTree.Node> e : n.children.entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            if (name.length == 0 || name.length > 255 || e.getKey().contains("/")) {
                throw ExtErrors.usage("directory entry name '" + e.getKey() + "' is not 1 to 255 bytes without '/'");
            }
            entries.add(new Object[] {name, numbers.get(e.getValue()), e.getValue().type});
        }
        int pos = 0;
        for (Object[] entry : entries) {
            byte[] name = (byte[]) entry[0];
            int rec = (8 + name.length + 3) & ~3;
            if (pos + rec > bs) {
                cur.putShort(lastAt[0] + 4, (short) (bs - lastAt[0]));
                blocks.add(cur.array());
                cur = ByteBuffer.allocate(bs).order(ByteOrder.LITTLE_ENDIAN);
                pos = 0;
            }
            cur.putInt(pos, (int) (long) (Long) entry[1]);
            cur.putShort(pos + 4, (short) rec);
            cur.put(pos + 6, (byte) name.length);
            cur.put(pos + 7, (byte) ((FileType) entry[2]).direntType());
            cur.put(pos + 8, name);
            lastAt[0] = pos;
            pos += rec;
        }
        cur.putShort(lastAt[0] + 4, (short) (bs - lastAt[0]));
        blocks.add(cur.array());
        int[] iblock = new int[15];
        List<BlockRun> dirRuns = new ArrayList<>();
        for (int l = 0; l < blocks.size(); l++) {
            long b = allocate();
            writeBlock(b, blocks.get(l), 0);
            dirRuns.add(new BlockRun(l, b, 1));
        }
        long meta = buildMap(dirRuns, iblock);
        long g = (ino - 1) / ipg;
        usedDirs[(int) g]++;
        putInode(ino, n, FileType.DIRECTORY, (long) blocks.size() * bs, nlinks, (blocks.size() + meta) * (bs / 512), iblock);
    }

    private long clamp(FileTime t) {
        long s = t.toInstant().getEpochSecond();
        return opts.sourceDateEpoch() != null ? Math.min(s, opts.sourceDateEpoch()) : s;
    }

    private int nanos(FileTime t) {
        long s = t.toInstant().getEpochSecond();
        if (opts.sourceDateEpoch() != null && s >= opts.sourceDateEpoch()) {
            return 0;
        }
        return t.toInstant().getNano();
    }

    private void putInode(long ino, SourceTree.Node n, FileType type, long size, int links, long blocks512, int[] iblock) {
        if (links > 65000) {
            throw ExtErrors.usage("inode %d would have %d links, more than ext2's 65000".formatted(ino, links));
        }
        if (blocks512 > 0xFFFFFFFFL) {
            throw ExtErrors.usage("inode %d needs %d sectors, more than ext2 without huge_file records".formatted(ino, blocks512));
        }
        ByteBuffer b = ByteBuffer.allocate(INODE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        long mtime = clamp(n.mtime);
        int mnanos = nanos(n.mtime);
        long ctime = opts.sourceDateEpoch() != null ? mtime : now;
        b.putShort(0x00, (short) (type.modeBits() | (n.mode & 07777)));
        b.putShort(0x02, (short) n.uid);
        b.putInt(0x04, (int) size);
        b.putInt(0x08, (int) mtime);
        b.putInt(0x0C, (int) ctime);
        b.putInt(0x10, (int) mtime);
        b.putShort(0x18, (short) n.gid);
        b.putShort(0x1A, (short) links);
        b.putInt(0x1C, (int) blocks512);
        for (int i = 0; i < 15; i++) {
            b.putInt(0x28 + 4 * i, iblock[i]);
        }
        b.putInt(0x6C, (int) (size >>> 32));
        b.putShort(0x78, (short) (n.uid >>> 16));
        b.putShort(0x7A, (short) (n.gid >>> 16));
        b.putShort(0x80, (short) 32);
        b.putInt(0x84, extra(ctime, opts.sourceDateEpoch() != null ? mnanos : 0));
        b.putInt(0x88, extra(mtime, mnanos));
        b.putInt(0x8C, extra(mtime, mnanos));
        b.putInt(0x90, (int) mtime);
        b.putInt(0x94, extra(mtime, mnanos));
        inodes.put(ino, b.array());
    }

    private static int extra(long seconds, int nanos) {
        return (int) (((seconds - (int) seconds) >> 32) & 3) | (nanos << 2);
    }

    // ---------------------------------------------------------------- metadata

    private UUID uuid;
    private byte[] hashSeed;

    private UUID uuid() {
        if (uuid == null) {
            uuid = opts.uuid() != null ? opts.uuid() : UUID.nameUUIDFromBytes(digest("uuid"));
        }
        return uuid;
    }

    private byte[] digest(String salt) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update((salt + "|" + blocksCount + "|" + bs + "|" + opts.label() + "|" + opts.sourceDateEpoch() + "|").getBytes(StandardCharsets.UTF_8));
            ArrayList<Object[]> stack = new ArrayList<>();
            stack.add(new Object[] {"", tree.root()});
            while (!stack.isEmpty()) {
                Object[] item = stack.removeLast();
                SourceTree.Node n = (SourceTree.Node) item[1];
                md.update((item[0] + "|" + n.type + "|" + n.mode + "|" + n.uid + "|" + n.gid + "|" + clamp(n.mtime) + "|"
                        + (n.content != null ? n.content.size() : 0) + "|" + n.target + "\n").getBytes(StandardCharsets.UTF_8));
                for (Map.Entry<String, SourceTree.Node> e : n.children.entrySet()) {
                    stack.add(new Object[] {item[0] + "/" + e.getKey(), e.getValue()});
                }
            }
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void writeMetadata() {
        long freeBlocksTotal = 0;
        long freeInodesTotal = 0;
        ByteBuffer gdt = ByteBuffer.allocate(gdtBlocks * bs).order(ByteOrder.LITTLE_ENDIAN);
        long maxIno = ipg * groups;
        for (long g = 0; g < groups; g++) {
            long start = groupStart(g);
            long count = groupBlocks(g);
            byte[] bitmap = new byte[bs];
            long free = 0;
            for (long i = 0; i < 8L * bs; i++) {
                boolean set = i >= count || used.get((int) (start + i));
                if (set) {
                    bitmap[(int) (i >>> 3)] |= (byte) (1 << (i & 7));
                } else {
                    free++;
                }
            }
            byte[] ibitmap = new byte[bs];
            long freeInodes = 0;
            for (long i = 0; i < 8L * bs; i++) {
                long ino = g * ipg + i + 1;
                boolean set = i >= ipg || ino < FIRST_INO || inodes.containsKey(ino);
                if (set) {
                    ibitmap[(int) (i >>> 3)] |= (byte) (1 << (i & 7));
                } else {
                    freeInodes++;
                }
            }
            long meta = metaStart(g);
            dev.write(meta * bs, MemorySegment.ofArray(bitmap));
            dev.write((meta + 1) * bs, MemorySegment.ofArray(ibitmap));
            int at = (int) (g * 32);
            gdt.putInt(at, (int) meta);
            gdt.putInt(at + 4, (int) (meta + 1));
            gdt.putInt(at + 8, (int) (meta + 2));
            gdt.putShort(at + 12, (short) free);
            gdt.putShort(at + 14, (short) freeInodes);
            gdt.putShort(at + 16, (short) usedDirs[(int) g]);
            freeBlocksTotal += free;
            freeInodesTotal += freeInodes;
        }
        // inode tables: only blocks holding used inodes are written (the rest were discarded to zeros)
        byte[] tableBlock = new byte[bs];
        long currentBlock = -1;
        for (Map.Entry<Long, byte[]> e : inodes.entrySet()) {
            long ino = e.getKey();
            long g = (ino - 1) / ipg;
            long index = (ino - 1) % ipg;
            long block = metaStart(g) + 2 + index * INODE_SIZE / bs;
            if (block != currentBlock) {
                if (currentBlock >= 0) {
                    dev.write(currentBlock * bs, MemorySegment.ofArray(tableBlock));
                }
                Arrays.fill(tableBlock, (byte) 0);
                currentBlock = block;
            }
            System.arraycopy(e.getValue(), 0, tableBlock, (int) (index * INODE_SIZE % bs), INODE_SIZE);
        }
        if (currentBlock >= 0) {
            dev.write(currentBlock * bs, MemorySegment.ofArray(tableBlock));
        }
        assert maxIno >= inodes.size();
        for (long g = 0; g < groups; g++) {
            if (!hasSuper(g)) {
                continue;
            }
            byte[] sb = superblock(g, freeBlocksTotal, freeInodesTotal);
            long at = g == 0 ? 1024 : groupStart(g) * bs;
            dev.write(at, MemorySegment.ofArray(sb));
            dev.write((groupStart(g) + 1) * bs, MemorySegment.ofArray(gdt.array()));
        }
        dev.flush();
    }

    private byte[] superblock(long group, long freeBlocks, long freeInodes) {
        ByteBuffer b = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);
        int log = Integer.numberOfTrailingZeros(bs) - 10;
        b.putInt(0x00, (int) (ipg * groups));
        b.putInt(0x04, (int) blocksCount);
        b.putInt(0x0C, (int) freeBlocks);
        b.putInt(0x10, (int) freeInodes);
        b.putInt(0x14, (int) firstData);
        b.putInt(0x18, log);
        b.putInt(0x1C, log);
        b.putInt(0x20, (int) bpg);
        b.putInt(0x24, (int) bpg);
        b.putInt(0x28, (int) ipg);
        b.putInt(0x30, (int) now);
        b.putShort(0x36, (short) -1);
        b.putShort(0x38, (short) Superblock.MAGIC);
        b.putShort(0x3A, (short) 1);
        b.putShort(0x3C, (short) 1);
        b.putInt(0x40, (int) now);
        b.putInt(0x4C, 1);
        b.putInt(0x54, FIRST_INO);
        b.putShort(0x58, (short) INODE_SIZE);
        b.putShort(0x5A, (short) group);
        b.putInt(0x60, Superblock.INCOMPAT_FILETYPE);
        b.putInt(0x64, Superblock.RO_COMPAT_SPARSE_SUPER | Superblock.RO_COMPAT_LARGE_FILE);
        UUID u = uuid();
        b.order(ByteOrder.BIG_ENDIAN).putLong(0x68, u.getMostSignificantBits()).putLong(0x70, u.getLeastSignificantBits());
        b.order(ByteOrder.LITTLE_ENDIAN);
        b.put(0x78, opts.label().getBytes(StandardCharsets.UTF_8));
        if (hashSeed == null) {
            hashSeed = Arrays.copyOf(digest("hash-seed"), 16);
        }
        b.put(0xEC, hashSeed);
        b.put(0xFC, (byte) 1);
        b.putInt(0x108, (int) now);
        return b.array();
    }
}
