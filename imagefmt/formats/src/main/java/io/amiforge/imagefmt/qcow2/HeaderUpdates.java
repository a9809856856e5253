package io.amiforge.imagefmt.qcow2;

import java.nio.ByteBuffer;

/**
 * The header fields a writable qcow2 file changes after opening, each written in place: the
 * autoclear bits (cleared before the first write, as the spec asks for bits we do not
 * maintain), the corrupt bit, and the refcount table's offset and size when the table moves.
 * The rest of the header (and its extensions) is never rewritten.
 */
final class HeaderUpdates {

    private static final int INCOMPATIBLE_FEATURES = 72;
    private static final int AUTOCLEAR_FEATURES = 88;
    private static final int REFCOUNT_TABLE_OFFSET = 48;

    private final Qcow2File file;
    private final Qcow2Header header;
    private long reftableOffset;
    private int reftableClusters;

    HeaderUpdates(Qcow2File file, Qcow2Header header) {
        this.file = file;
        this.header = header;
        this.reftableOffset = header.refcountTableOffset;
        this.reftableClusters = header.refcountTableClusters;
    }

    /** Clears autoclear feature bits we do not maintain, before the first write. */
    void clearAutoclear() {
        // The raw external data bit stays: writes land at their guest offsets and zeros are written out.
        long kept = header.dataFileRaw() ? Qcow2Header.AUTOCLEAR_DATA_FILE_RAW : 0;
        if (header.version >= 3 && header.autoclearFeatures != kept) {
            ByteBuffer zero = ByteBuffer.allocate(8).putLong(0, kept);
            file.writeMetadata(AUTOCLEAR_FEATURES, zero, "header autoclear_features");
            file.force();
        }
    }

    /** Sets the corrupt bit on disk (version 3 only; version 2 has no feature bits), best effort. */
    void markCorrupt() {
        try {
            ByteBuffer bits = ByteBuffer.allocate(8).putLong(0, header.incompatibleFeatures | Qcow2Header.INCOMPAT_CORRUPT);
            if (header.version >= 3) {
                file.writeMetadata(INCOMPATIBLE_FEATURES, bits, "header incompatible_features");
                file.force();
            }
        } catch (RuntimeException e) {
            // best effort: the corruption error the caller raises is what matters
        }
    }

    /**
     * Under the lock, after the moved table was written: points the header at the refcount
     * table {@code refcounts} now uses, when it differs from what the header says (the data
     * and the table are forced to disk first).
     */
    void updateRefcountTable(Qcow2Refcounts refcounts) {
        if (refcounts.tableOffset != reftableOffset || refcounts.tableClusters != reftableClusters) {
            file.force();
            ByteBuffer fields = ByteBuffer.allocate(12).putLong(0, refcounts.tableOffset).putInt(8, refcounts.tableClusters);
            file.writeMetadata(REFCOUNT_TABLE_OFFSET, fields, "header refcount_table_offset");
            reftableOffset = refcounts.tableOffset;
            reftableClusters = refcounts.tableClusters;
        }
    }
}
