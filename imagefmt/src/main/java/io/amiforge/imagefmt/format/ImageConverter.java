package io.amiforge.imagefmt.format;

import io.amiforge.blockdev.BlockDevice;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Copies an image (with its whole backing chain, flattened) into a new image of any format,
 * like {@code qemu-img convert}. What reads as zeros is not written: ranges the source reports
 * as zero or unallocated are skipped without reading, and data blocks that turn out to be all
 * zeros are skipped too, so a raw target stays sparse and a qcow2 target leaves them unallocated.
 */
public final class ImageConverter {

    /** Bytes read per step. */
    private static final int CHUNK = 2 << 20;

    private ImageConverter() {
    }

    /** Converts {@code source} to {@code target} in {@code format}; returns the bytes of data written. */
    public static long convert(Path source, Path target, String format, CreateOptions options) {
        try (BlockDevice src = ImageFormats.open(source, true)) {
            try (BlockDevice dst = ImageFormats.create(target, format, src.size(), options)) {
                long written = copy(src, dst, options.clusterSize());
                dst.flush();
                return written;
            }
        }
    }

    /**
     * Copies every non-zero block of {@code src} into {@code dst} (same size, zero-filled), testing
     * for zeros in units of {@code zeroBlock} bytes (a power of two). Returns the bytes written.
     */
    public static long copy(BlockDevice src, BlockDevice dst, int zeroBlock) {
        long size = src.size();
        int unit = Math.max(4096, Math.min(zeroBlock, CHUNK));
        long written = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(CHUNK, 4096);
            long pos = 0;
            while (pos < size) {
                long want = Math.min(CHUNK - (pos & (CHUNK - 1)), size - pos);
                Extent extent = src instanceof AllocationStatus status ? status.extentAt(pos, want)
                        : new Extent(pos, want, Extent.Kind.DATA);
                long n = extent.length();
                if (extent.kind() == Extent.Kind.DATA) {
                    MemorySegment chunk = buffer.asSlice(0, n);
                    src.read(pos, chunk);
                    written += writeNonZero(dst, pos, chunk, unit);
                }
                pos += n;
            }
        }
        return written;
    }

    private static long writeNonZero(BlockDevice dst, long pos, MemorySegment chunk, int unit) {
        long n = chunk.byteSize();
        long written = 0;
        long runStart = -1;
        long i = 0;
        while (i < n) {
            // Units are aligned to the guest offset so that whole target clusters are skipped or written.
            long end = Math.min(n, ((pos + i) & -(long) unit) + unit - pos);
            boolean zero = Zeros.isZero(chunk.asSlice(i, end - i));
            if (!zero && runStart < 0) {
                runStart = i;
            } else if (zero && runStart >= 0) {
                dst.write(pos + runStart, chunk.asSlice(runStart, i - runStart));
                written += i - runStart;
                runStart = -1;
            }
            i = end;
        }
        if (runStart >= 0) {
            dst.write(pos + runStart, chunk.asSlice(runStart, n - runStart));
            written += n - runStart;
        }
        return written;
    }
}
