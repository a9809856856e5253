package io.amiforge.imagefmt.raw;

import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.blockdev.FileBlockDevice;
import io.amiforge.blockdev.NativeFile;
import io.amiforge.imagefmt.format.BackingChain;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageFormat;
import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.format.ImageInfo;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Raw images: the file is the disk, byte for byte. Accepts any content (it is probed last).
 * Created files are one hole; writes and conversions keep zeros as holes.
 */
public final class RawFormat implements ImageFormat {

    public static final RawFormat INSTANCE = new RawFormat();

    /** For {@link java.util.ServiceLoader}; use {@link #INSTANCE}. */
    public RawFormat() {
    }

    @Override
    public boolean acceptsAnything() {
        return true;
    }

    @Override
    public String name() {
        return "raw";
    }

    @Override
    public boolean probe(MemorySegment header, long fileSize) {
        return true;
    }

    @Override
    public BlockDevice open(Path path, boolean readOnly, BackingChain chain) {
        return new RawImageDevice(FileBlockDevice.open(path, readOnly));
    }

    @Override
    public BlockDevice create(Path path, long virtualSize, CreateOptions options) {
        if (options.backingFile() != null) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue",
                    path + ": raw images cannot have a backing file");
        }
        if (virtualSize < 0) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue",
                    path + ": size " + virtualSize + " is negative");
        }
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
            file.setLength(0);
            file.setLength(virtualSize);
        } catch (IOException e) {
            throw new BlockDeviceException.Io(path.toString(), "cannot create", e);
        }
        return open(path, false, BackingChain.startingAt(path, 0));
    }

    @Override
    public ImageInfo info(Path path) {
        try {
            long size = Files.size(path);
            return new ImageInfo(path.toString(), name(), size, diskUsage(path, size), 0, null, null,
                    List.of(), false, false, Map.of());
        } catch (IOException e) {
            throw new BlockDeviceException.Io(path.toString(), "cannot stat", e);
        }
    }

    /** Sets the file's length: growing adds a hole, shrinking cuts the file. */
    @Override
    public void resize(Path path, long newSize) {
        if (newSize < 0) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue", path + ": size " + newSize + " is negative");
        }
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
            file.setLength(newSize);
        } catch (IOException e) {
            throw new BlockDeviceException.Io(path.toString(), "cannot resize", e);
        }
    }

    /** Bytes of {@code path} that are not holes; {@code length} where the OS cannot say. */
    public static long diskUsage(Path path, long length) {
        return NativeFile.allocatedBytes(path, length);
    }
}
