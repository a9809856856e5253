package io.amiforge.imagefmt.qcow2;

import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Writes the dirty metadata of one writable qcow2 file after the data it describes, in this
 * order: fsync data, refcounts, fsync, L2 tables and L1, header, fsync. A crash before a
 * write-back can leak clusters, never make metadata point at unwritten data.
 */
final class MetadataWriteBack {

    private final Qcow2File file;
    private final Qcow2File data;
    private final ReentrantLock lock;
    private final Qcow2Refcounts refcounts;
    private final L2Tables tables;
    private final HeaderUpdates headerUpdates;

    MetadataWriteBack(Qcow2File file, Qcow2File data, ReentrantLock lock, Qcow2Refcounts refcounts, L2Tables tables, HeaderUpdates headerUpdates) {
        this.file = file;
        this.data = data;
        this.lock = lock;
        this.refcounts = refcounts;
        this.tables = tables;
        this.headerUpdates = headerUpdates;
    }

    /** Takes the lock (re-entrant) and writes everything dirty; forces the file even when nothing is. */
    void flush() {
        lock.lock();
        try {
            if (data != file) {
                data.force();
            }
            file.force();
            if (!refcounts.dirty() && !tables.isDirty()) {
                return;
            }
            refcounts.writeDirty();
            file.force();
            tables.writeDirty();
            headerUpdates.updateRefcountTable(refcounts);
            // The file must cover every allocated cluster, even ones allocated but not yet written.
            if (file.size() < refcounts.end()) {
                file.write(refcounts.end() - 1, ByteBuffer.allocate(1));
            }
            file.force();
        } finally {
            lock.unlock();
        }
    }
}
