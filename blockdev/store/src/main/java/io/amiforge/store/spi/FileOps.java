package io.amiforge.store.spi;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A hook the snapshot store calls before each file operation that changes the disk: creating a
 * file, writing, fsyncing and renaming. The default, {@link #REAL}, does nothing, so the store
 * does its own I/O unchanged; a test passes another to
 * {@code SnapshotStore.open(dir, fileOps)} to make the Nth operation fail, like QEMU's blkdebug
 * (see {@code io.amiforge.testkit.FaultInjection}).
 *
 * <p>Contract: {@link #before} runs on the thread about to do the operation (often the store's
 * journal thread); throwing an {@link IOException} makes the operation fail exactly as the
 * file system would; throwing an {@link Error} simulates a fatal fault in that thread. It must not
 * allocate on the write path if the store's hot path is to stay allocation-free.
 */
@FunctionalInterface
public interface FileOps {

    /** The kinds of operations the store reports. */
    enum Op {
        /** A new file is created (layer data or index, catalog temporary, catalog log). */
        CREATE,
        /** Bytes are written to a file (block data, index entries, catalog, catalog log). */
        WRITE,
        /** A file or directory is fsynced. */
        FSYNC,
        /** A file is renamed over another (an atomic commit). */
        RENAME
    }

    /** The real file system: no hook. */
    FileOps REAL = (op, path) -> { };

    /** Called before {@code op} on {@code path}; throws to make the operation fail. */
    void before(Op op, Path path) throws IOException;
}
