package io.amiforge.imagefmt.qcow2;

import io.amiforge.imagefmt.format.ImageFormatException;
import java.nio.ByteBuffer;

/**
 * Repairs a dirty image (incompatible bit 0: lazy refcounts were not written back before the
 * writer died) by recounting every reference, as the spec asks ("scan L1/L2 tables to repair
 * refcounts before accessing the image"): header, L1 table, L2 tables, data, zero-allocated
 * and compressed clusters. The new refcount table and blocks are written after the end of the
 * file (in the image's own refcount width), synced, and only then does the header switch to
 * them and drop the dirty bit. The old refcount structures become free clusters.
 *
 * <p>Refused (with a clear error) for images this cannot account for exactly: internal
 * snapshots, bitmaps, encryption headers, or more than {@value #MAX_CLUSTERS} clusters.
 */
final class Qcow2RefcountRebuild {

    static final long MAX_CLUSTERS = 64L << 20;

    private Qcow2RefcountRebuild() {
    }

    static void rebuild(Qcow2File file, Qcow2Header h) {
        String name = file.name();
        if (h.nbSnapshots != 0 || h.extensionTypes.contains(Qcow2Header.EXT_BITMAPS)
                || h.extensionTypes.contains(Qcow2Header.EXT_CRYPTO)) {
            throw ImageFormatException.notWritable(name, "image is marked dirty and has snapshots, bitmaps or encryption metadata "
                    + "whose refcounts amiforge cannot rebuild; repair it with 'qemu-img check -r all' or open it read-only");
        }
        int cs = h.clusterSize();
        int bits = h.clusterBits;
        long mask = cs - 1;
        long fileSize = file.size();
        long fileClusters = (fileSize + mask) >>> bits;
        if (fileClusters > MAX_CLUSTERS) {
            throw ImageFormatException.notWritable(name, "image is marked dirty and too large (" + fileClusters
                    + " clusters) to rebuild its refcounts here; repair it with 'qemu-img check -r all'");
        }
        int[] counts = new int[(int) fileClusters];
        counts[0]++;
        long l1Bytes = (long) h.l1Size * 8;
        for (long c = h.l1TableOffset >>> bits; c < (h.l1TableOffset + l1Bytes + mask) >>> bits; c++) {
            counts[(int) c]++;
        }
        long[] l1 = new long[h.l1Size];
        if (h.l1Size > 0) {
            file.readMetadata(h.l1TableOffset, (int) l1Bytes, "L1 table").asLongBuffer().get(l1);
        }
        boolean extended = h.extendedL2();
        int step = extended ? 2 : 1;
        int csizeShift = 62 - (bits - 8);
        long csizeMask = (1L << (bits - 8)) - 1;
        long coffsetMask = (1L << csizeShift) - 1;
        long[] table = new long[cs / 8];
        for (int i = 0; i < l1.length; i++) {
            long l2 = l1[i] & Qcow2Image.OFFSET_MASK;
            if (l2 == 0) {
                continue;
            }
            if ((l2 & mask) != 0 || l2 > fileSize - cs) {
                throw ImageFormatException.corrupt(name, "L1 entry %d (file offset 0x%x): L2 table offset 0x%x is invalid; cannot rebuild refcounts"
                        .formatted(i, h.l1TableOffset + i * 8L, l2));
            }
            counts[(int) (l2 >>> bits)]++;
            file.readMetadata(l2, cs, "L2 table").asLongBuffer().get(table);
            for (int j = 0; j < table.length; j += step) {
                long e = table[j];
                if ((e & Qcow2Image.COMPRESSED) != 0) {
                    long offset = e & coffsetMask;
                    long end = offset + (((e >>> csizeShift) & csizeMask) + 1) * 512 - (offset & 511);
                    for (long c = offset >>> bits; c <= (end - 1) >>> bits; c++) {
                        count(counts, c, name, l2, j);
                    }
                    continue;
                }
                long offset = e & Qcow2Image.OFFSET_MASK;
                if (offset == 0) {
                    continue;
                }
                if ((offset & mask) != 0) {
                    throw ImageFormatException.corrupt(name, "L2 entry at file offset 0x%x: cluster offset 0x%x is not aligned; cannot rebuild refcounts"
                            .formatted(l2 + j * 8L, offset));
                }
                count(counts, offset >>> bits, name, l2, j);
            }
        }
        // New table and blocks after everything that exists, sized by a fixed point as in Qcow2Creator.
        long start = (fileSize + mask) & ~mask;
        long first = start >>> bits;
        long perBlock = ((long) cs * 8) >>> h.refcountOrder;
        long blocks = 1;
        long tableClusters = 1;
        while (true) {
            long total = first + tableClusters + blocks;
            long needBlocks = (total + perBlock - 1) / perBlock;
            long needTable = (needBlocks * 8 + cs - 1) / cs;
            if (needBlocks <= blocks && needTable <= tableClusters) {
                break;
            }
            blocks = Math.max(blocks, needBlocks);
            tableClusters = Math.max(tableClusters, needTable);
        }
        if (tableClusters * cs > Qcow2Header.MAX_REFTABLE_BYTES) {
            throw ImageFormatException.notWritable(name, "rebuilt refcount table would exceed " + Qcow2Header.MAX_REFTABLE_BYTES + " bytes");
        }
        long tableOffset = start;
        long blocksOffset = start + tableClusters * cs;
        long total = first + tableClusters + blocks;
        int width = 1 << h.refcountOrder;
        long max = width == 64 ? Long.MAX_VALUE : (1L << width) - 1;
        ByteBuffer refTable = ByteBuffer.allocate((int) (tableClusters * cs));
        ByteBuffer refBlocks = ByteBuffer.allocate(Math.toIntExact(blocks * cs));
        for (long b = 0; b < blocks; b++) {
            refTable.putLong((int) (b * 8), blocksOffset + b * cs);
        }
        for (long c = 0; c < total; c++) {
            long value = c < counts.length ? counts[(int) c] : (c >= first ? 1 : 0);
            if (value > max) {
                throw ImageFormatException.notWritable(name, "cluster 0x%x has %d references, more than %d-bit refcounts hold"
                        .formatted(c << bits, value, width));
            }
            if (value != 0) {
                put(refBlocks, c, value, width);
            }
        }
        file.writeMetadata(tableOffset, refTable.rewind(), "rebuilt refcount table");
        file.writeMetadata(blocksOffset, refBlocks.rewind(), "rebuilt refcount blocks");
        file.force();
        ByteBuffer fields = ByteBuffer.allocate(12).putLong(0, tableOffset).putInt(8, (int) tableClusters);
        file.writeMetadata(48, fields, "header refcount_table_offset");
        file.writeMetadata(72, ByteBuffer.allocate(8).putLong(0, h.incompatibleFeatures & ~Qcow2Header.INCOMPAT_DIRTY),
                "header incompatible_features");
        file.force();
    }

    private static void count(int[] counts, long cluster, String name, long l2, int index) {
        if (cluster >= counts.length) {
            throw ImageFormatException.corrupt(name, "L2 entry at file offset 0x%x points past the end of the file; cannot rebuild refcounts"
                    .formatted(l2 + index * 8L));
        }
        counts[(int) cluster]++;
    }

    private static void put(ByteBuffer blocks, long index, long value, int width) {
        if (width < 8) {
            long bit = index * width;
            int at = (int) (bit >>> 3);
            int shift = (int) (bit & 7);
            blocks.put(at, (byte) (blocks.get(at) | (value << shift)));
            return;
        }
        int bytes = width >>> 3;
        int at = (int) (index * bytes);
        for (int i = bytes - 1; i >= 0; i--) {
            blocks.put(at + i, (byte) value);
            value >>>= 8;
        }
    }
}
