package io.amiforge.imagefmt.format;

import io.amiforge.blockdev.Extent;

/**
 * Where one image file keeps the guest bytes it holds, seen without its backing file, as
 * {@code qemu-img map} reports each layer of a chain: which runs this file holds, and at which
 * offset of the file a held byte is stored when it is stored as plain bytes. A device that
 * implements it answers for its own file; {@link io.amiforge.blockdev.AllocationStatus} answers
 * for the whole chain. A run that reads as zeros but still has an offset (a hole in a plain
 * region of the file) is reported by {@code qemu-img map} as data and zeros at that offset.
 */
public interface LayerLayout {

    /**
     * The run at guest {@code offset} in this file alone, at most {@code maxLength} bytes long:
     * {@link Extent.Kind#DATA} or {@link Extent.Kind#ZERO} where this file holds it,
     * {@link Extent.Kind#UNALLOCATED} where its bytes belong to a backing file (or read as zeros
     * when there is none).
     */
    Extent ownExtentAt(long offset, long maxLength);

    /**
     * The offset in this file of the guest byte at {@code offset} when this file holds it as
     * plain bytes; -1 when it does not hold it or stores it transformed (compressed): a byte
     * {@link #ownExtentAt} calls data that has no offset is stored compressed.
     */
    long hostOffset(long offset);

    /**
     * The length (at most {@code maxLength}) of the run from guest {@code offset} that is stored
     * in one piece: every byte at {@code hostOffset(offset) + i}, or, where {@link #hostOffset}
     * is -1, every byte without an offset.
     */
    long hostRunLength(long offset, long maxLength);

    /**
     * The file that holds the guest byte at {@code offset}, named as the image names it relative
     * to its own path (a VMDK descriptor's extent files), or null when it is the image file itself.
     */
    default String hostFile(long offset) {
        return null;
    }
}
