package io.amiforge.transfer;

import io.amiforge.blockdev.AbstractBlockDevice;
import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One image layer as an import reads it: announces the import's block size (the store gives a
 * new base layer that block size), is padded with zeros up to a whole number of blocks (an
 * image whose size is not a block multiple imports as the next multiple), and turns a failed
 * read into an error naming the layer's file and the offset. For a raw file it also checks,
 * after each read, that the file still reaches the end of what was read: a file cut short during
 * the import fails instead of importing zeros. Read-only; closing it leaves the device open.
 */
final class ImportView extends AbstractBlockDevice {

    private final BlockDevice device;
    private final Path file;
    /** The raw file's length when the import began, or -1 when it is not a raw file. */
    private final long rawLength;

    /**
     * @param device    the layer's contents
     * @param file      the layer's file (for messages)
     * @param blockSize the import's block size
     * @param raw       whether {@code file} holds the bytes as they are (then short reads are checked)
     */
    ImportView(BlockDevice device, Path file, int blockSize, boolean raw) {
        super(device.name(), Math.ceilDiv(device.size(), blockSize) * blockSize, blockSize, true);
        this.device = device;
        this.file = file;
        this.rawLength = raw ? device.size() : -1;
    }

    @Override
    protected void doRead(long offset, MemorySegment dst) {
        long inside = Math.max(0, Math.min(dst.byteSize(), device.size() - offset));
        if (inside < dst.byteSize()) {
            dst.asSlice(inside).fill((byte) 0); // the padding past the image's end
        }
        if (inside == 0) {
            return;
        }
        try {
            device.read(offset, dst.asSlice(0, inside));
        } catch (AmiforgeException e) {
            throw new AmiforgeException(e.kind(), e.code(), file + ": reading " + inside + " bytes at offset " + offset
                    + " failed: " + e.getMessage(), e);
        }
        if (rawLength >= 0) {
            checkNotShortened(offset, offset + inside);
        }
    }

    private void checkNotShortened(long offset, long end) {
        long now;
        try {
            now = Files.size(file);
        } catch (IOException e) {
            throw new AmiforgeException(AmiforgeException.Kind.FAILED, "IOError", file + ": cannot check its length after"
                    + " reading at offset " + offset + ": " + e.getMessage(), e);
        }
        if (now < end) {
            throw new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "ShortRead", file + ": short read at offset "
                    + Math.max(offset, now) + ": the file is now " + now + " bytes long, " + rawLength
                    + " when the import began");
        }
    }

    @Override
    protected void doWrite(long offset, MemorySegment src) {
        throw new AssertionError("read-only view"); // AbstractBlockDevice refuses writes first
    }

    @Override
    protected void doFlush() {
    }

    @Override
    protected void doDiscard(long offset, long length) {
        throw new AssertionError("read-only view");
    }

    @Override
    protected void doClose() {
    }
}
