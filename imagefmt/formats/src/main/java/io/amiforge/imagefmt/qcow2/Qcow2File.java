package io.amiforge.imagefmt.qcow2;

import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.imagefmt.format.ImageFormatException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Positional I/O on one qcow2 file, with the file's size tracked so that every offset taken
 * from metadata can be checked against it without a system call. Reads past the end of the
 * file return zeros (a short final cluster).
 */
final class Qcow2File implements AutoCloseable {

    private final Path path;
    private final String name;
    private final FileChannel channel;
    private volatile long size;

    Qcow2File(Path path, FileChannel channel) throws IOException {
        this.path = path;
        this.name = path.toString();
        this.channel = channel;
        this.size = channel.size();
    }

    /** Opens {@code path} for reading (and writing when {@code writable}); a missing file is {@code FileNotFound}. */
    static Qcow2File open(Path path, boolean writable) {
        FileChannel channel;
        try {
            channel = writable ? FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)
                    : FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new ImageFormatException(Kind.NOT_FOUND, "FileNotFound", path + ": no such file");
        } catch (IOException e) {
            throw new BlockDeviceException.Io(path.toString(), "cannot open", e);
        }
        try {
            return new Qcow2File(path, channel);
        } catch (IOException e) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // failing with the first error
            }
            throw new BlockDeviceException.Io(path.toString(), "cannot open", e);
        }
    }

    Path path() {
        return path;
    }

    String name() {
        return name;
    }

    /** The file's size as far as this process has read or written it. */
    long size() {
        return size;
    }

    void read(long offset, MemorySegment dst) {
        read(offset, dst.asByteBuffer());
    }

    void read(long offset, ByteBuffer buffer) {
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

    void write(long offset, MemorySegment src) {
        write(offset, src.asByteBuffer());
    }

    void write(long offset, ByteBuffer buffer) {
        int start = buffer.position();
        try {
            while (buffer.hasRemaining()) {
                channel.write(buffer, offset + buffer.position() - start);
            }
        } catch (IOException e) {
            throw new BlockDeviceException.Io(name, "write at file offset " + offset, e);
        }
        long end = offset + buffer.position() - start;
        synchronized (this) {
            if (end > size) {
                size = end;
            }
        }
    }

    /** Reads {@code length} bytes of metadata (length already bounded by the file size). */
    ByteBuffer readMetadata(long offset, int length, String what) {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        read(offset, buffer);
        return buffer.flip();
    }

    void writeMetadata(long offset, ByteBuffer bytes, String what) {
        write(offset, bytes);
    }

    void force() {
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
