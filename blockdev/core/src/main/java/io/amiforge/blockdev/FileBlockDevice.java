package io.amiforge.blockdev;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Set;

/**
 * A device backed by a regular file (a raw disk image). Reads and writes are positional
 * {@link FileChannel} calls; a returned write is in the page cache (it survives the process
 * dying), and {@link #flush()} is an fsync. {@link #discard} punches a hole where the range
 * covers whole 4 KiB pages, so discarded space is really released; partial pages are zeroed.
 * Allocation status comes from {@code lseek(SEEK_DATA/SEEK_HOLE)} ({@link NativeFile}): holes
 * are {@link Extent.Kind#ZERO}, the rest {@link Extent.Kind#DATA}; where the calls are
 * unavailable, or the file system does not track holes, everything is data.
 *
 * <p>Write-behind: each 4 MiB chunk of the file starts writing back as soon as it has been
 * written ({@link WriteBackTrigger}), so a long stream of writes keeps the disk busy as it goes
 * and the flush that ends it waits only for the tail; durability is unchanged (only
 * {@link #flush()} promises it). The system property {@value #WRITE_BEHIND_PROPERTY} set to
 * {@code false} leaves all write-back to the kernel, to compare.
 */
public final class FileBlockDevice extends AbstractBlockDevice implements AllocationStatus, FileBacked {

    /** System property: {@code false} turns write-behind off (default {@code true}). */
    public static final String WRITE_BEHIND_PROPERTY = "amiforge.file.writeBehind";

    private final Path path;
    private final FileChannel channel;
    /** A descriptor of our own for lseek and fallocate; null where the native calls are unavailable. */
    private final NativeFile nativeFile;
    /** Starts the write-back of filled chunks; null when write-behind is off or unavailable. */
    private final WriteBackTrigger writeBack;

    private FileBlockDevice(Path path, FileChannel channel, long size, int blockSize, boolean readOnly, boolean behind) {
        super(path.getFileName() == null ? path.toString() : path.getFileName().toString(), size, blockSize, readOnly);
        this.path = path;
        this.channel = channel;
        this.nativeFile = NativeFile.open(path, !readOnly);
        this.writeBack = nativeFile == null || readOnly || !behind ? null : new WriteBackTrigger(nativeFile::startWriteBack);
    }

    /** Whether {@value #WRITE_BEHIND_PROPERTY} asks for write-behind; an unknown value is refused, naming it. */
    static boolean writeBehind() {
        String value = System.getProperty(WRITE_BEHIND_PROPERTY, "true");
        return switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(WRITE_BEHIND_PROPERTY + "=" + value
                    + " is not a known setting (true or false)");
        };
    }

    /** Opens an existing file; its current length is the device size. */
    public static FileBlockDevice open(Path path, boolean readOnly) {
        boolean behind = writeBehind();
        Set<StandardOpenOption> options = readOnly
                ? EnumSet.of(StandardOpenOption.READ)
                : EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            FileChannel channel = FileChannel.open(path, options);
            return new FileBlockDevice(path, channel, channel.size(), 512, readOnly, behind);
        } catch (NoSuchFileException e) {
            throw new BlockDeviceException(AmiforgeException.Kind.NOT_FOUND, "FileNotFound", path + ": no such file");
        } catch (IOException e) {
            throw new BlockDeviceException.Io(path.toString(), "cannot open", e);
        }
    }

    /** Creates (or truncates) a sparse file of {@code size} bytes and opens it read-write. */
    public static FileBlockDevice create(Path path, long size) {
        boolean behind = writeBehind();
        try {
            try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
                file.setLength(0);
                file.setLength(size); // ftruncate: the file is one hole
            }
            FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            return new FileBlockDevice(path, channel, size, 512, false, behind);
        } catch (IOException e) {
            throw new BlockDeviceException.Io(path.toString(), "cannot create", e);
        }
    }

    public Path path() {
        return path;
    }

    /** The file itself (device offset = file offset); the device closes it. */
    @Override
    public FileChannel backingFile() {
        checkOpen();
        return channel;
    }

    @Override
    public Durability durability() {
        return Durability.PROCESS_CRASH_SAFE;
    }

    @Override
    protected void doRead(long offset, MemorySegment dst) {
        ByteBuffer buffer = dst.asByteBuffer();
        try {
            while (buffer.hasRemaining()) {
                int n = channel.read(buffer, offset + buffer.position());
                if (n < 0) { // the file shrank under us: what is missing reads as zeros
                    dst.asSlice(buffer.position()).fill((byte) 0);
                    return;
                }
            }
        } catch (IOException e) {
            throw new BlockDeviceException.Io(name(), "read at offset " + offset, e);
        }
    }

    @Override
    protected void doWrite(long offset, MemorySegment src) {
        ByteBuffer buffer = src.asByteBuffer();
        try {
            while (buffer.hasRemaining()) {
                channel.write(buffer, offset + buffer.position());
            }
        } catch (IOException e) {
            throw new BlockDeviceException.Io(name(), "write at offset " + offset, e);
        }
        if (writeBack != null) {
            writeBack.wrote(offset, src.byteSize());
        }
    }

    @Override
    protected void doFlush() {
        try {
            channel.force(false);
        } catch (IOException e) {
            throw new BlockDeviceException.Io(name(), "fsync", e);
        }
    }

    @Override
    protected void doDiscard(long offset, long length) {
        long pageStart = (offset + 4095) & ~4095L;
        long pageEnd = (offset + length) & ~4095L;
        if (pageEnd > pageStart && punch(pageStart, pageEnd - pageStart)) {
            zero(offset, pageStart - offset);
            zero(pageEnd, offset + length - pageEnd);
        } else {
            zero(offset, length);
        }
    }

    private boolean punch(long offset, long length) {
        return nativeFile != null && nativeFile.punch(offset, length);
    }

    @Override
    public Extent extentAt(long offset, long maxLength) {
        checkExtentQuery(offset, maxLength);
        long end = offset + maxLength;
        if (nativeFile == null) {
            return new Extent(offset, maxLength, Extent.Kind.DATA);
        }
        long data = nativeFile.nextData(offset);
        if (data < 0 || data >= end) { // a hole (or the file's end) up to the end of the query
            return new Extent(offset, maxLength, Extent.Kind.ZERO);
        }
        if (data > offset) {
            return new Extent(offset, data - offset, Extent.Kind.ZERO);
        }
        long hole = nativeFile.nextHole(offset);
        long stop = hole <= offset ? end : Math.min(hole, end); // no answer (file changed under us): data
        return new Extent(offset, stop - offset, Extent.Kind.DATA);
    }

    private void zero(long offset, long length) {
        ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(length, 1 << 20));
        long done = 0;
        try {
            while (done < length) {
                zeros.clear().limit((int) Math.min(zeros.capacity(), length - done));
                done += channel.write(zeros, offset + done);
            }
        } catch (IOException e) {
            throw new BlockDeviceException.Io(name(), "zeroing at offset " + offset, e);
        }
    }

    @Override
    protected void doClose() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new BlockDeviceException.Io(name(), "close", e);
        } finally {
            if (nativeFile != null) {
                nativeFile.close();
            }
        }
    }

    /** Whether {@code path} exists and is a regular file. */
    public static boolean isFile(Path path) {
        return Files.isRegularFile(path);
    }
}
