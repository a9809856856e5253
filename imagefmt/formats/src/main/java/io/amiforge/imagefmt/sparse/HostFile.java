package io.amiforge.imagefmt.sparse;

import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.imagefmt.format.ImageFormatException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * Positional I/O on one image file, with its size tracked so that offsets taken from metadata
 * are checked against it without a system call. Reads past the end return zeros; metadata
 * reads ({@link #readStructure}) must lie wholly inside the file and fail naming the structure
 * and its offset otherwise. A read-only view may carry replayed pages ({@link #withPages}):
 * 4 KiB pages that reads see instead of the file's bytes (a VHDX log replayed in memory).
 */
public final class HostFile implements AutoCloseable {

    private final Path path;
    private final String name;
    private final FileChannel channel;
    private final NavigableMap<Long, byte[]> pages;
    /** Where offset 0 of this view lies in the file (a slice); 0 for the file itself. */
    private final long base;
    private final boolean slice;
    private volatile long size;

    private HostFile(Path path, FileChannel channel) throws IOException {
        this.path = path;
        this.name = path.toString();
        this.channel = channel;
        this.size = channel.size();
        this.pages = null;
        this.base = 0;
        this.slice = false;
    }

    private HostFile(HostFile file, NavigableMap<Long, byte[]> pages, long size, long base, String name) {
        this.path = file.path;
        this.name = name;
        this.channel = file.channel;
        this.size = size;
        this.pages = pages;
        this.base = base;
        this.slice = base != 0 || file.slice || !name.equals(file.name);
    }

    /**
     * A read-only view of {@code length} bytes from file offset {@code start} (a member of a tar
     * archive), sharing this file's channel (close one of the two), named {@code name} in errors;
     * offsets in the view start at 0 and nothing past its end is read.
     */
    public HostFile slice(long start, long length, String name) {
        if (start < 0 || length < 0 || start > size - length) {
            throw ImageFormatException.corrupt(this.name, "%s at file offset 0x%x (%d bytes) lies beyond the end of the file (size 0x%x)"
                    .formatted(name, start, length, size));
        }
        return new HostFile(this, null, length, base + start, name);
    }

    /**
     * A read-only view of this file (sharing its channel: close one of the two) in which each
     * 4 KiB page of {@code replayed}, keyed by its 4 KiB-aligned file offset, replaces the file's
     * bytes, and which is at least {@code minSize} bytes long.
     */
    public HostFile withPages(NavigableMap<Long, byte[]> replayed, long minSize) {
        return new HostFile(this, new TreeMap<>(replayed), Math.max(size, minSize), base, name);
    }

    /** Opens {@code path} for reading, and for writing unless {@code readOnly}. */
    public static HostFile open(Path path, boolean readOnly) {
        try {
            FileChannel channel = readOnly ? FileChannel.open(path, StandardOpenOption.READ)
                    : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            return new HostFile(path, channel);
        } catch (NoSuchFileException e) {
            throw new ImageFormatException(io.amiforge.blockdev.AmiforgeException.Kind.NOT_FOUND, "FileNotFound",
                    path + ": no such file");
        } catch (IOException e) {
            throw new BlockDeviceException.Io(path.toString(), "cannot open", e);
        }
    }

    /** Creates {@code path} empty (replacing any file there), open for reading and writing. */
    public static HostFile create(Path path) {
        try {
            return new HostFile(path, FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
                    StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING));
        } catch (IOException e) {
            throw new BlockDeviceException.Io(path.toString(), "cannot create", e);
        }
    }

    public Path path() {
        return path;
    }

    /** The offset in the file of this view's offset {@code offset} (they differ in a slice: a member of a tar). */
    public long fileOffset(long offset) {
        return base + offset;
    }

    public String name() {
        return name;
    }

    /** The file's size as far as this process has read or written it. */
    public long size() {
        return size;
    }

    /** Reads {@code dst.byteSize()} bytes at {@code offset}; bytes past the end of the file read as zeros. */
    public void read(long offset, MemorySegment dst) {
        read(offset, dst.asByteBuffer());
    }

    /** Reads the buffer's remaining bytes at {@code offset}; bytes past the end of the file read as zeros. */
    public void read(long offset, ByteBuffer buffer) {
        int start = buffer.position();
        int length = buffer.remaining();
        readFile(offset, buffer);
        if (pages != null) {
            for (Map.Entry<Long, byte[]> page : pages.subMap(offset & ~4095L, true, offset + length, false).entrySet()) {
                long from = Math.max(offset, page.getKey());
                long to = Math.min(offset + length, page.getKey() + page.getValue().length);
                if (from < to) {
                    buffer.put(start + (int) (from - offset), page.getValue(), (int) (from - page.getKey()), (int) (to - from));
                }
            }
        }
    }

    private void readFile(long offset, ByteBuffer buffer) {
        int start = buffer.position();
        if (slice) {
            long inside = Math.max(0, Math.min(buffer.remaining(), size - offset));
            int limit = buffer.limit();
            buffer.limit(start + (int) inside);
            readChannel(base + offset, buffer);
            buffer.limit(limit);
            while (buffer.hasRemaining()) {
                buffer.put((byte) 0); // past the end of the slice
            }
            return;
        }
        readChannel(offset, buffer);
    }

    private void readChannel(long offset, ByteBuffer buffer) {
        int start = buffer.position();
        try {
            while (buffer.hasRemaining()) {
                int n = channel.read(buffer, offset + buffer.position() - start);
                if (n < 0) {
                    while (buffer.hasRemaining()) {
                        buffer.put((byte) 0);
                    }
                    return;
                }
            }
        } catch (IOException e) {
            throw new BlockDeviceException.Io(name, "read at file offset " + offset, e);
        }
    }

    /**
     * Reads the {@code length}-byte structure {@code what} at {@code offset}, which must lie
     * wholly inside the file (so a length taken from a damaged header cannot exhaust memory).
     */
    public ByteBuffer readStructure(long offset, long length, String what, ByteOrder order) {
        if (offset < 0 || length < 0 || offset > size - length || length > Integer.MAX_VALUE - 8) {
            throw ImageFormatException.corrupt(name, "%s at file offset 0x%x (%d bytes) lies beyond the end of the file (size 0x%x)"
                    .formatted(what, offset, length, size));
        }
        ByteBuffer buffer = ByteBuffer.allocate((int) length).order(order);
        read(offset, buffer);
        return buffer.flip();
    }

    public void write(long offset, MemorySegment src) {
        write(offset, src.asByteBuffer());
    }

    public void write(long offset, ByteBuffer buffer) {
        if (pages != null || slice) {
            throw new IllegalStateException(name + ": a view with replayed pages or a slice is read-only");
        }
        int start = buffer.position();
        try {
            while (buffer.hasRemaining()) {
                channel.write(buffer, offset + buffer.position() - start);
            }
        } catch (IOException e) {
            throw new BlockDeviceException.Io(name, "write at file offset " + offset, e);
        }
        grow(offset + buffer.position() - start);
    }

    /** Sets the file's length to {@code length} (growing it with a hole, or cutting it). */
    public void truncate(long length) {
        try {
            if (length < channel.size()) {
                channel.truncate(length);
            } else if (length > channel.size()) {
                channel.write(ByteBuffer.allocate(1), length - 1);
            }
        } catch (IOException e) {
            throw new BlockDeviceException.Io(name, "set the length to " + length, e);
        }
        synchronized (this) {
            size = length;
        }
    }

    private synchronized void grow(long end) {
        if (end > size) {
            size = end;
        }
    }

    /** fsync of the file's data. */
    public void force() {
        try {
            channel.force(false);
        } catch (IOException e) {
            throw new BlockDeviceException.Io(name, "fsync", e);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new BlockDeviceException.Io(name, "close", e);
        }
    }
}
