package io.amiforge.imagefmt.format;

import io.amiforge.blockdev.AllocationStatus;
import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.blockdev.Extent;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

/**
 * Copies an image (with its whole backing chain, flattened) into a new image of any format,
 * like {@code qemu-img convert}. What reads as zeros is not written: ranges the source reports
 * as zero or unallocated are skipped without reading, and data blocks that turn out to be all
 * zeros are skipped too, so a raw target stays sparse and a qcow2 target leaves them unallocated.
 *
 * <p>With a backing file in the options ({@code qemu-img convert -B BASE}) the target is created
 * over it and only what differs from it is written: every 4 KiB (a whole cluster when
 * compressing) where the source reads differently from BASE is written, or discarded where the source
 * reads as zeros, so that the target reads as the source and units that BASE already holds stay
 * unallocated in it. Unlike qemu-img (which copies everything the source's top layer holds) the
 * contents are compared, so BASE need not be the source's own backing file. BASE is found as
 * {@code create -b} finds it: the name as given, a relative name relative to the target's
 * directory, in the given backing format or (without one) the format its content shows.
 */
public final class ImageConverter {

    /** Bytes read per step. */
    private static final int CHUNK = 2 << 20;
    /** Bytes compared at a time when converting over a base (without compression). */
    private static final int DIFFERENCE_UNIT = 4096;
    /** A unit that reads the same in source and target, one where the source reads as zeros, one with other data. */
    private static final int SAME = 0;
    private static final int ZERO = 1;
    private static final int DIFFERENT = 2;

    private ImageConverter() {
    }

    /** Converts {@code source} to {@code target} in {@code format}, fsyncing the result; returns the bytes of data written. */
    public static long convert(Path source, Path target, String format, CreateOptions options) {
        return convert(ImageSource.of(source), target, format, options, true);
    }

    /** Converts {@code source} (format probed unless it names one) to {@code target}, fsyncing the result. */
    public static long convert(ImageSource source, Path target, String format, CreateOptions options) {
        return convert(source, target, format, options, true);
    }

    /**
     * Converts {@code source} to {@code target} in {@code format}; returns the bytes of data
     * written. With {@code sync} false the result is left in the page cache, as
     * {@code qemu-img convert} leaves it by default. The result is written to a temporary file
     * beside {@code target} and renamed over it at the end ({@link OutputFile}): a failure
     * leaves {@code target} as it was.
     */
    public static long convert(Path source, Path target, String format, CreateOptions options, boolean sync) {
        return convert(ImageSource.of(source), target, format, options, sync);
    }

    /** {@link #convert(Path, Path, String, CreateOptions, boolean)} of {@code source}. */
    public static long convert(ImageSource source, Path target, String format, CreateOptions options, boolean sync) {
        return convert(source, target, format, options, sync, UnaryOperator.identity());
    }

    /**
     * {@link #convert(ImageSource, Path, String, CreateOptions, boolean)} reading the source
     * through {@code sourceView} (a device that passes reads through, as a progress meter does);
     * the view is not closed, the source is.
     */
    public static long convert(ImageSource source, Path target, String format, CreateOptions options, boolean sync,
                               UnaryOperator<BlockDevice> sourceView) {
        ImageFormats.byName(format);
        refuseOverwritingTheChain(source, target);
        boolean overBase = options.backingFile() != null;
        if (overBase) {
            refuseBaseAsTarget(target, options.backingFile());
        }
        try (BlockDevice opened = ImageFormats.open(source, true)) {
            BlockDevice src = sourceView.apply(opened);
            return OutputFile.write(target, temp -> {
                try (BlockDevice dst = ImageFormats.create(temp, format, src.size(), options)) {
                    if (options.compressed() && !(dst instanceof CompressedWrites)) {
                        throw new ImageFormatException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                                "format " + format + " has no compressed clusters: compression is for qcow2");
                    }
                    long written = copy(src, dst, options.clusterSize(), DEFAULT_THREADS, options.compressed(), overBase);
                    if (sync) {
                        dst.flush();
                    }
                    return written;
                }
            });
        }
    }

    /** Creating the target truncates it: it must not be the source or any file of its backing chain. */
    private static void refuseOverwritingTheChain(ImageSource source, Path target) {
        if (!Files.exists(target)) {
            return;
        }
        for (Path layer : ImageFormats.chainFiles(source)) {
            try {
                if (Files.isSameFile(layer, target)) {
                    throw new ImageFormatException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                            "target " + target + " is " + (layer.equals(source.file()) ? "the source image" : "in the source's backing chain (" + layer + ")"));
                }
            } catch (IOException e) {
                throw new BlockDeviceException.Io(target.toString(), "cannot compare with " + layer, e);
            }
        }
    }

    /** The target replaces its file only at the end: a BASE that is that file would be gone for the new image. */
    private static void refuseBaseAsTarget(Path target, String base) {
        Path resolved = BackingChain.resolve(target, base);
        try {
            if (Files.exists(target) && Files.exists(resolved) && Files.isSameFile(resolved, target)) {
                throw new ImageFormatException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                        "backing file " + base + " (" + resolved + ") is the target " + target + ", which the conversion replaces");
            }
        } catch (IOException e) {
            throw new BlockDeviceException.Io(target.toString(), "cannot compare with " + resolved, e);
        }
    }

    /** Workers per copy: two, so that reading, zero detection and writing overlap. */
    public static final int DEFAULT_THREADS = 2;

    /**
     * Copies every non-zero block of {@code src} into {@code dst} (same size, zero-filled), testing
     * for zeros in units of {@code zeroBlock} bytes (a power of two), with {@code threads} workers
     * taking {@value #CHUNK}-byte pieces in turn. Returns the bytes written.
     */
    public static long copy(BlockDevice src, BlockDevice dst, int zeroBlock, int threads) {
        return copy(src, dst, zeroBlock, threads, false);
    }

    /**
     * {@link #copy(BlockDevice, BlockDevice, int, int)}, storing every non-zero cluster
     * compressed when {@code compress} is true and {@code dst} is {@link CompressedWrites}.
     */
    public static long copy(BlockDevice src, BlockDevice dst, int zeroBlock, int threads, boolean compress) {
        return copy(src, dst, zeroBlock, threads, compress, false);
    }

    /**
     * {@link #copy(BlockDevice, BlockDevice, int, int, boolean)}; with {@code overBase}, {@code dst}
     * reads as its backing file where it holds nothing, and only the units where {@code src}
     * reads differently from {@code dst} are written (discarded where {@code src} reads as zeros).
     */
    static long copy(BlockDevice src, BlockDevice dst, int zeroBlock, int threads, boolean compress, boolean overBase) {
        long size = src.size();
        CompressedWrites compressor = compress && dst instanceof CompressedWrites c ? c : null;
        // Over a base, differences are found per 4 KiB (a qcow2 target copies the rest of a cluster from the base itself).
        int unit = compressor != null ? compressor.compressionUnit() : overBase ? DIFFERENCE_UNIT : Math.max(4096, Math.min(zeroBlock, CHUNK));
        AtomicLong next = new AtomicLong();
        AtomicLong written = new AtomicLong();
        Runnable worker = () -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buffer = arena.allocate(CHUNK, 4096);
                MemorySegment base = overBase ? arena.allocate(CHUNK, 4096) : null;
                long piece;
                while ((piece = next.getAndAdd(CHUNK)) < size) {
                    long end = Math.min(size, piece + CHUNK);
                    if (overBase) {
                        written.addAndGet(differences(src, dst, piece, end, buffer, base, unit, compressor));
                        continue;
                    }
                    long pos = piece;
                    while (pos < end) {
                        Extent extent = AllocationStatus.of(src, pos, end - pos);
                        long n = extent.length();
                        if (extent.kind() == Extent.Kind.DATA && compressor != null) {
                            // Whole clusters: widen the run to cluster edges (pieces are cluster-aligned, and
                            // the cluster before pos was not written if pos is inside one).
                            long from = pos & -(long) unit;
                            long to = Math.min(end, (pos + n + unit - 1) & -(long) unit);
                            MemorySegment chunk = buffer.asSlice(0, to - from);
                            src.read(from, chunk);
                            written.addAndGet(writeCompressed(compressor, from, chunk, unit));
                            n = to - pos;
                        } else if (extent.kind() == Extent.Kind.DATA) {
                            MemorySegment chunk = buffer.asSlice(0, n);
                            src.read(pos, chunk);
                            written.addAndGet(writeNonZero(dst, pos, chunk, unit));
                        }
                        pos += n;
                    }
                }
            }
        };
        if (threads <= 1 || size <= CHUNK) {
            worker.run();
            return written.get();
        }
        List<Thread> started = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int i = 0; i < threads; i++) {
            Thread t = Thread.ofPlatform().name("convert-" + i).start(() -> {
                try {
                    worker.run();
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    next.set(Long.MAX_VALUE / 2); // stop the other workers
                }
            });
            started.add(t);
        }
        for (Thread t : started) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while converting", e);
            }
        }
        Throwable e = failure.get();
        if (e instanceof RuntimeException r) {
            throw r;
        }
        if (e instanceof Error err) {
            throw err;
        }
        return written.get();
    }

    /**
     * Makes {@code dst} read as {@code src} over {@code [pos, end)} (a piece: unit-aligned start)
     * by writing only the units that differ: data where {@code src} has data, discards where it
     * reads as zeros. Ranges both report as zero or unallocated are skipped unread. Returns the
     * bytes of data written.
     */
    private static long differences(BlockDevice src, BlockDevice dst, long pos, long end, MemorySegment a, MemorySegment b, int unit,
                                    CompressedWrites compressor) {
        long written = 0;
        while (pos < end) {
            Extent s = AllocationStatus.of(src, pos, end - pos);
            Extent d = AllocationStatus.of(dst, pos, s.length());
            if (s.kind() != Extent.Kind.DATA && d.kind() != Extent.Kind.DATA) {
                pos += d.length();
                continue;
            }
            // Whole units from the one pos is in: the part before pos was compared already, or reads as zeros in both.
            long from = pos & -(long) unit;
            long to = Math.min(end, (pos + d.length() + unit - 1) & -(long) unit);
            MemorySegment theirs = a.asSlice(0, to - from);
            MemorySegment ours = b.asSlice(0, to - from);
            src.read(from, theirs);
            dst.read(from, ours);
            long runStart = 0;
            int runKind = SAME;
            for (long i = 0; i < to - from; ) {
                long n = Math.min(unit, to - from - i);
                int kind = MemorySegment.mismatch(theirs, i, i + n, ours, i, i + n) == -1 ? SAME
                        : Zeros.isZero(theirs.asSlice(i, n)) ? ZERO : DIFFERENT;
                if (kind != runKind) {
                    written += store(dst, compressor, from + runStart, theirs.asSlice(runStart, i - runStart), runKind, unit);
                    runStart = i;
                    runKind = kind;
                }
                i += n;
            }
            written += store(dst, compressor, from + runStart, theirs.asSlice(runStart, to - from - runStart), runKind, unit);
            pos = to;
        }
        return written;
    }

    /** Stores a run of units of one kind at {@code pos}; returns the bytes of data written. */
    private static long store(BlockDevice dst, CompressedWrites compressor, long pos, MemorySegment run, int kind, int unit) {
        long n = run.byteSize();
        if (n == 0 || kind == SAME) {
            return 0;
        }
        if (kind == ZERO) {
            dst.discard(pos, n);
            return 0;
        }
        if (compressor != null) {
            return writeCompressed(compressor, pos, run, unit);
        }
        dst.write(pos, run);
        return n;
    }

    /** Writes each non-zero cluster of {@code chunk} (whole clusters from the cluster-aligned {@code pos}) compressed. */
    private static long writeCompressed(CompressedWrites dst, long pos, MemorySegment chunk, int unit) {
        long n = chunk.byteSize();
        long written = 0;
        for (long i = 0; i < n; i += unit) {
            MemorySegment part = chunk.asSlice(i, Math.min(unit, n - i));
            if (!Zeros.isZero(part)) {
                dst.writeCompressed(pos + i, part);
                written += part.byteSize();
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
                write(dst, pos + runStart, chunk.asSlice(runStart, i - runStart));
                written += i - runStart;
                runStart = -1;
            }
            i = end;
        }
        if (runStart >= 0) {
            write(dst, pos + runStart, chunk.asSlice(runStart, n - runStart));
            written += n - runStart;
        }
        return written;
    }

    private static void write(BlockDevice dst, long offset, MemorySegment data) {
        if (dst instanceof PrescannedWrites raw) {
            raw.writeData(offset, data); // zeros were skipped already: do not scan again
        } else {
            dst.write(offset, data);
        }
    }
}
