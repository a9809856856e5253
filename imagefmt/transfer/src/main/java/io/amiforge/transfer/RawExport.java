package io.amiforge.transfer;

import io.amiforge.blockdev.AllocationStatus;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.blockdev.DirectIo;
import io.amiforge.blockdev.Extent;
import io.amiforge.blockdev.NativeFile;
import io.amiforge.imagefmt.format.Zeros;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Writes a device as a sparse raw file, durably: only what the device reports as data
 * ({@link AllocationStatus}; a device without it is read whole) is read, in runs of up to
 * {@value #PIECE} bytes (a store device reads such a run in one pass over its index and one copy
 * per run of consecutive slots), 4 KiB pages of zeros in it are skipped, and each
 * run of non-zero pages is written with one write that bypasses the page cache ({@code O_DIRECT})
 * where the file system allows it: no copy into the page cache (which costs CPU: 0.8-1.5 s per
 * GiB on a busy 2-core box, against 0.1 s for direct writes) and nothing left for the final
 * {@code fdatasync}. Holes stay holes (the file is sized first). {@value #WORKERS} workers take
 * pieces in turn, so that reads overlap writes and that many direct writes can be in flight (a
 * direct write waits for the disk).
 *
 * <p>Before the direct writes, the pages of every data extent are reserved in one pass
 * ({@code fallocate}, metadata only: the reserved range reads as zeros until written). On ext4 a
 * direct write into a hole allocates, which takes the file's lock exclusively for the whole
 * write, so eight writers kept one request in flight and the disk idled between them (25% of an
 * export of 1 GiB); into reserved space they run side by side (queue depth about twelve) and the
 * export took 0.75-0.94 s instead of 0.96-1.22 s (benchmarks/results/transfer.md, 05:26 UTC).
 * Reserved pages that turn out to be zeros are punched back into holes after the writes, so the
 * file ends as sparse as without the reservation; the reservation is skipped where the file
 * system cannot do it. Where direct I/O is refused (tmpfs), and for a tail that ends off a page,
 * the writes go through the page cache and their write-back starts at once ({@link WriteBehind});
 * one {@code fdatasync} at the end either way, as {@code qemu-img convert -t writeback} does. A
 * failure leaves the file to the caller ({@link ChainExporter} writes a temporary file and deletes
 * it).
 */
final class RawExport {

    /**
     * Bytes one worker reads and writes at a time (at least one store block: 512 KiB at most).
     * 1 MiB: an export of 1 GiB took the same time as with 4 MiB pieces (dense: 1.05 s and 1.04 s,
     * shared machine), and the eight buffers, with the runs mapped while they are copied, take
     * 8 MiB instead of 32: a one-export JVM peaked at 115 MiB RSS instead of 140 MiB
     * (benchmarks/results/transfer.md, run 6).
     */
    static final int PIECE = 1 << 20;
    /** The unit of zero detection and the alignment of direct writes. */
    private static final int PAGE = DirectIo.ALIGNMENT;
    /**
     * Workers taking pieces in turn, each with its own piece-sized buffer. Eight: writing
     * 1 GiB in 1 MiB direct writes took 1.08-1.22 s from four writers, 1.01-1.15 s from eight and
     * 0.88-1.03 s from sixteen on the busy 2-core box (benchmarks/results/transfer.md, 02:29 UTC);
     * a worker waiting for its write uses no CPU.
     */
    private static final int WORKERS = 8;

    private final BlockDevice device;
    private final Path file;
    private final FileChannel buffered;
    /** The same file opened for direct I/O, or null where the file system refuses it. */
    private volatile FileChannel direct;
    private final WriteBehind behind;
    /** The file's descriptor for {@code fallocate}, or null: nothing is reserved, nothing punched. */
    private final NativeFile space;
    /** Whether any range was reserved (then reserved pages that stay zeros are punched back). */
    private boolean reserved;
    /** Reserved pages found to be zeros, per worker: (offset, length) pairs, adjacent ones merged. */
    private final List<ZeroRuns> zeros = new ArrayList<>();
    private final AtomicLong next = new AtomicLong();
    private final AtomicLong written = new AtomicLong();

    private RawExport(BlockDevice device, Path file, FileChannel buffered, FileChannel direct, WriteBehind behind,
            NativeFile space) {
        this.device = device;
        this.file = file;
        this.buffered = buffered;
        this.direct = direct;
        this.behind = behind;
        this.space = space;
    }

    /** Writes {@code device} into the new (empty) {@code file}, fdatasynced; returns the data bytes written. */
    static long write(BlockDevice device, Path file) {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw");
             WriteBehind behind = WriteBehind.open(file)) {
            raf.setLength(0);
            raf.setLength(device.size()); // one hole of the device's size (ftruncate)
            FileChannel buffered = raf.getChannel();
            FileChannel direct = DirectIo.openForWrite(file);
            // reserving helps direct writes only; page-cache writes allocate at write-back, in large batches
            try (NativeFile space = direct == null ? null : NativeFile.open(file, true)) {
                RawExport export = new RawExport(device, file, buffered, direct, behind, space);
                export.reserve();
                export.run();
                export.punchZeros();
                buffered.force(false); // fdatasync: what went through the cache, the size, the allocation
                return export.written.get();
            } finally {
                if (direct != null) {
                    direct.close();
                }
            }
        } catch (IOException e) {
            throw new BlockDeviceException.Io(file.toString(), "export", e);
        }
    }

    /**
     * Reserves the whole pages of every data extent of the device, up to its size (the file's
     * size, which a reservation must not change). Stops at the first refusal (no support, no
     * space): the writes then allocate as they go, and report a real shortage of space.
     */
    private void reserve() {
        if (space == null) {
            return;
        }
        long size = device.size();
        long pos = 0;
        while (pos < size) {
            Extent extent = AllocationStatus.of(device, pos, size - pos);
            pos += extent.length();
            if (extent.kind() == Extent.Kind.DATA) {
                long from = extent.offset() & -(long) PAGE;
                long to = Math.min(size, (pos + PAGE - 1) & -(long) PAGE);
                if (!space.allocate(from, to - from)) {
                    return;
                }
                reserved = true;
            }
        }
    }

    /**
     * Punches the reserved pages that held only zeros back into holes (one call per merged run).
     * A refusal stops it: those pages still read as zeros (they were reserved, never written), the
     * file only keeps their space.
     */
    private void punchZeros() {
        if (!reserved) {
            return;
        }
        for (ZeroRuns runs : zeros) {
            for (int i = 0; i < runs.count; i += 2) {
                if (!space.punch(runs.pairs[i], runs.pairs[i + 1])) {
                    return;
                }
            }
        }
    }

    private void run() {
        if (device.size() <= PIECE) {
            work();
            return;
        }
        List<Thread> workers = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int i = 0; i < WORKERS; i++) {
            workers.add(Thread.ofPlatform().name("export-" + i).start(() -> {
                try {
                    work();
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    next.set(Long.MAX_VALUE / 2); // stop the other workers
                }
            }));
        }
        for (Thread t : workers) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while exporting to " + file, e);
            }
        }
        switch (failure.get()) {
            case null -> { }
            case RuntimeException r -> throw r;
            case Error e -> throw e;
            case Throwable t -> throw new IllegalStateException(t);
        }
    }

    /** Takes pieces until none is left: reads the data in each and writes its non-zero pages. */
    private void work() {
        long size = device.size();
        ZeroRuns skipped = new ZeroRuns();
        synchronized (zeros) {
            zeros.add(skipped);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(PIECE, PAGE);
            long start;
            while ((start = next.getAndAdd(PIECE)) < size) {
                long end = Math.min(size, start + PIECE);
                long pos = start;
                while (pos < end) {
                    Extent extent = AllocationStatus.of(device, pos, end - pos);
                    long stop = pos + extent.length();
                    if (extent.kind() == Extent.Kind.DATA) {
                        // whole pages (pieces start on one): the page before pos was not data, so nothing is written twice
                        long from = pos & -(long) PAGE;
                        long to = Math.min(end, (stop + PAGE - 1) & -(long) PAGE);
                        MemorySegment data = buffer.asSlice(0, to - from);
                        device.read(from, data);
                        writeNonZero(from, data, skipped);
                        stop = to;
                    }
                    pos = stop;
                }
            }
        }
    }

    /**
     * Writes each run of non-zero pages of {@code data} (read at {@code offset}) with one write;
     * records the runs of zero pages in {@code skipped} when they were reserved.
     */
    private void writeNonZero(long offset, MemorySegment data, ZeroRuns skipped) {
        long n = data.byteSize();
        long run = -1;
        long zero = -1;
        for (long i = 0; i < n; i += PAGE) {
            long page = Math.min(PAGE, n - i);
            boolean isZero = MemorySegment.mismatch(data, i, i + page, Zeros.SEGMENT, 0, page) == -1; // no slice per page
            if (!isZero && run < 0) {
                run = i;
                if (zero >= 0) {
                    skip(skipped, offset + zero, i - zero);
                    zero = -1;
                }
            } else if (isZero && zero < 0) {
                zero = i;
                if (run >= 0) {
                    write(offset + run, data.asSlice(run, i - run));
                    run = -1;
                }
            }
        }
        if (run >= 0) {
            write(offset + run, data.asSlice(run, n - run));
        }
        if (zero >= 0) {
            skip(skipped, offset + zero, n - zero);
        }
    }

    private void skip(ZeroRuns skipped, long offset, long length) {
        if (reserved) {
            skipped.add(offset, length);
        }
    }

    private void write(long offset, MemorySegment data) {
        FileChannel d = direct;
        // direct I/O needs aligned offsets and lengths (the buffer is page-aligned): a tail goes through the cache
        try {
            if (d != null && DirectIo.aligned(offset, data.asByteBuffer())) {
                try {
                    writeFully(d, offset, data);
                    written.addAndGet(data.byteSize());
                    return;
                } catch (IOException e) {
                    direct = null; // refused after all (an unusual sector size): the rest goes through the cache
                }
            }
            writeFully(buffered, offset, data);
        } catch (IOException e) {
            throw new BlockDeviceException.Io(file.toString(), "write at offset " + offset, e);
        }
        behind.start(offset, data.byteSize());
        written.addAndGet(data.byteSize());
    }

    private static void writeFully(FileChannel channel, long offset, MemorySegment data) throws IOException {
        ByteBuffer buffer = data.asByteBuffer();
        while (buffer.hasRemaining()) {
            channel.write(buffer, offset + buffer.position());
        }
    }

    /** A worker's (offset, length) pairs of zero pages, in the order found; a run that continues the last one extends it. */
    private static final class ZeroRuns {
        long[] pairs = new long[16];
        int count;

        void add(long offset, long length) {
            if (count > 0 && pairs[count - 2] + pairs[count - 1] == offset) {
                pairs[count - 1] += length;
                return;
            }
            if (count == pairs.length) {
                pairs = Arrays.copyOf(pairs, count * 2);
            }
            pairs[count++] = offset;
            pairs[count++] = length;
        }
    }
}
