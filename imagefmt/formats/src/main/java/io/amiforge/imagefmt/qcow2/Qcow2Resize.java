package io.amiforge.imagefmt.qcow2;

import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.imagefmt.format.ImageFormatException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Changes a qcow2 file's virtual size, as {@code qemu-img resize}. Growing writes a bigger L1
 * table at the end of the file when the old one cannot map the new size (the old one is freed
 * after the header points at the new one); shrinking drops the L2 entries of every cluster
 * wholly past the new end (freeing their clusters, and L2 tables left empty) and zeroes the
 * tail of a last cluster cut in the middle, so that growing again reads zeros there. The L1
 * table keeps its size when shrinking, as qemu does. What the new range reads over a backing
 * file is the caller's: {@code ImageFormats.resize} makes it read zeros.
 *
 * <p>Refused: sizes not a multiple of 512, and shrinking an image with internal snapshots (as
 * qemu-img). Growing one leaves the snapshots' own L1 tables as they are.
 */
final class Qcow2Resize {

    private static final int SIZE_FIELD = 24;

    private Qcow2Resize() {
    }

    static void resize(Path path, long newSize) {
        if (newSize < 0 || (newSize & 511) != 0) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue", path + ": the new size " + newSize
                    + " is not a multiple of 512 bytes");
        }
        try (Qcow2Edit edit = Qcow2Edit.open(path, "resizing")) {
            Qcow2Header h = edit.header;
            long cs = h.clusterSize();
            long perL2 = cs / (h.extendedL2() ? 16 : 8);
            long clusters = (newSize + cs - 1) / cs;
            long needL1 = (clusters + perL2 - 1) / perL2;
            if (needL1 * 8 > Qcow2Header.MAX_L1_BYTES) {
                throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue", path + ": " + newSize + " bytes needs an L1 table of "
                        + needL1 * 8 + " bytes with " + cs + "-byte clusters, more than qemu's limit of " + Qcow2Header.MAX_L1_BYTES);
            }
            if (newSize >= h.size) {
                grow(edit, newSize, needL1);
            } else {
                if (h.nbSnapshots != 0) {
                    throw ImageFormatException.unsupported(path.toString(), "cannot shrink an image with internal snapshots "
                            + "(delete them first, as qemu-img asks)");
                }
                shrink(edit, newSize);
            }
        }
    }

    private static void grow(Qcow2Edit edit, long newSize, long needL1) {
        Qcow2Header h = edit.header;
        long oldL1 = Integer.toUnsignedLong(h.l1Size);
        if (needL1 <= oldL1) {
            edit.writeHeader(SIZE_FIELD, ByteBuffer.allocate(8).putLong(0, newSize), "size");
            return;
        }
        long[] l1 = new long[(int) needL1];
        System.arraycopy(edit.readTable(h.l1TableOffset, oldL1, "L1 table"), 0, l1, 0, (int) oldL1);
        long offset = edit.append(Qcow2Edit.bytesOf(l1), "L1 table");
        edit.commitRefcounts();
        ByteBuffer fields = ByteBuffer.allocate(24).putLong(0, newSize).putInt(8, h.cryptMethod).putInt(12, (int) needL1)
                .putLong(16, offset);
        edit.writeHeader(SIZE_FIELD, fields, "size, l1_size, l1_table_offset");
        if (oldL1 > 0) {
            edit.release(h.l1TableOffset, oldL1 * 8);
        }
        edit.commitRefcounts();
    }

    private static void shrink(Qcow2Edit edit, long newSize) {
        Qcow2Header h = edit.header;
        int bits = h.clusterBits;
        long cs = h.clusterSize();
        int step = h.extendedL2() ? 2 : 1;
        long perL2 = cs / (8L * step);
        long firstGone = (newSize + cs - 1) >>> bits; // first guest cluster wholly past the new end
        long[] l1 = edit.readTable(h.l1TableOffset, Integer.toUnsignedLong(h.l1Size), "L1 table");
        boolean l1Changed = false;
        for (int i = (int) (firstGone / perL2); i < l1.length; i++) {
            long l2Offset = l1[i] & Qcow2Image.OFFSET_MASK;
            if (l2Offset == 0) {
                continue;
            }
            long[] l2 = edit.readTable(l2Offset, cs / 8, "L2 table");
            long first = Math.max(0, firstGone - i * perL2);
            for (long j = first; j < perL2; j++) {
                int at = (int) (j * step);
                edit.referenceEntry(l2[at], -1);
                l2[at] = 0;
                if (step == 2) {
                    l2[at + 1] = 0;
                }
            }
            if (first == 0) {
                l1[i] = 0;
                l1Changed = true;
                edit.release(l2Offset, cs);
            } else {
                edit.file.writeMetadata(l2Offset, Qcow2Edit.bytesOf(l2), "L2 table");
            }
        }
        zeroCutCluster(edit, l1, newSize, perL2, step);
        if (l1Changed) {
            edit.file.writeMetadata(h.l1TableOffset, Qcow2Edit.bytesOf(l1), "L1 table");
        }
        edit.file.force();
        edit.writeHeader(SIZE_FIELD, ByteBuffer.allocate(8).putLong(0, newSize), "size");
        edit.commitRefcounts();
    }

    /** Zeroes the part past {@code newSize} of the last cluster when it is stored as plain data of this image alone. */
    private static void zeroCutCluster(Qcow2Edit edit, long[] l1, long newSize, long perL2, int step) {
        long cs = edit.clusterSize();
        int inCluster = (int) (newSize & (cs - 1));
        if (inCluster == 0) {
            return;
        }
        long cluster = newSize / cs;
        int i = (int) (cluster / perL2);
        long l2Offset = i < l1.length ? l1[i] & Qcow2Image.OFFSET_MASK : 0;
        if (l2Offset == 0) {
            return;
        }
        long entry = edit.readTable(l2Offset + (cluster % perL2) * 8 * step, 1, "L2 entry")[0];
        long host = entry & Qcow2Image.OFFSET_MASK;
        if ((entry & Qcow2Image.COMPRESSED) == 0 && (entry & Qcow2Image.COPIED) != 0 && host != 0
                && (entry & Qcow2Image.ZERO_FLAG) == 0) {
            edit.file.write(host + inCluster, ByteBuffer.allocate((int) (cs - inCluster)));
        }
    }
}
