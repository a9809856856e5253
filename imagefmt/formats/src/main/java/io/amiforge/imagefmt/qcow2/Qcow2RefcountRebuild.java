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
 * <p>Internal snapshots are counted (their tables, L1 and L2 tables and clusters). Refused (with
 * a clear error) for images this cannot account for exactly: bitmaps, encryption headers, or
 * more than {@value Qcow2References#MAX_CLUSTERS} clusters (see {@link Qcow2References}).
 */
final class Qcow2RefcountRebuild {

    private Qcow2RefcountRebuild() {
    }

    static void rebuild(Qcow2File file, Qcow2Header h) {
        String name = file.name();
        Qcow2References refs;
        try {
            refs = Qcow2References.count(file, h, Qcow2SnapshotTable.read(file, h), false);
        } catch (ImageFormatException e) {
            throw ImageFormatException.notWritable(name, "cannot rebuild refcounts: " + e.getMessage()
                    + "; repair it with 'qemu-img check -r all' or open it read-only");
        }
        if (refs.broken()) {
            throw ImageFormatException.corrupt(name, "cannot rebuild refcounts: " + refs.errors.getFirst().replaceFirst("^ERROR ", ""));
        }
        write(file, h, refs.counts);
    }

    /** Writes a new refcount table and blocks holding {@code counts} after the end of the file, then switches the header. */
    static void write(Qcow2File file, Qcow2Header h, int[] counts) {
        String name = file.name();
        int cs = h.clusterSize();
        int bits = h.clusterBits;
        long mask = cs - 1;
        long fileSize = file.size();
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
        if (h.version >= 3) {
            file.writeMetadata(72, ByteBuffer.allocate(8).putLong(0, h.incompatibleFeatures & ~Qcow2Header.INCOMPAT_DIRTY),
                    "header incompatible_features");
        }
        file.force();
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
