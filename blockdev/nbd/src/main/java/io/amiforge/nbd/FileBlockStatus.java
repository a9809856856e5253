package io.amiforge.nbd;

import io.amiforge.blockdev.NativeFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Allocation status of a sparse file from Linux {@code lseek(SEEK_DATA / SEEK_HOLE)}
 * ({@link NativeFile}): holes read as zeros ({@code HOLE|ZERO}), everything else is data. Holds
 * its own read-only descriptor of the file until {@link #close()}. {@link #open} returns null
 * where lseek is unavailable, and a file system that does not track holes reports all data.
 */
public final class FileBlockStatus implements BlockStatusSource, AutoCloseable {

    private final Path path;
    private final NativeFile file;
    private volatile boolean closed;

    private FileBlockStatus(Path path, NativeFile file) {
        this.path = path;
        this.file = file;
    }

    /** Opens {@code file} for status queries; null if lseek is not available or the file cannot be opened. */
    public static FileBlockStatus open(Path file) {
        NativeFile nativeFile = NativeFile.open(file, false);
        return nativeFile == null ? null : new FileBlockStatus(file, nativeFile);
    }

    @Override
    public List<Extent> status(long offset, long length, int maxExtents) {
        if (closed) {
            throw new IllegalStateException(path + ": block status source is closed");
        }
        long end = offset + length;
        List<Extent> out = new ArrayList<>();
        long pos = offset;
        while (pos < end && out.size() < maxExtents) {
            long data = file.nextData(pos);
            if (data < 0 || data >= end) { // no data up to the end of the range (none at all: -1)
                out.add(new Extent(pos, end - pos, HOLE | ZERO));
                break;
            }
            if (data > pos) {
                out.add(new Extent(pos, data - pos, HOLE | ZERO));
                if (out.size() == maxExtents) {
                    break;
                }
            }
            long hole = file.nextHole(data);
            long dataEnd = hole < 0 ? end : Math.min(hole, end);
            if (dataEnd <= data) {
                dataEnd = end; // inconsistent answer (file changed under us): call the rest data
            }
            out.add(new Extent(data, dataEnd - data, 0));
            pos = dataEnd;
        }
        return out;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            file.close();
        }
    }
}
