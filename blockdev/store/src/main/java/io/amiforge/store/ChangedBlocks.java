package io.amiforge.store;

import org.roaringbitmap.longlong.Roaring64Bitmap;

/** A set of block indices (of {@code blockSize} bytes each), ascending. */
public record ChangedBlocks(int blockSize, Roaring64Bitmap bitmap) {

    /** The block indices, ascending. */
    public long[] blocks() {
        return bitmap.toArray();
    }

    public long count() {
        return bitmap.getLongCardinality();
    }
}
