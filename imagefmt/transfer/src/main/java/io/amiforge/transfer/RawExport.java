package io.amiforge.transfer;

import io.amiforge.blockdev.AllocationStatus;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.blockdev.DirectIo;
import io.amiforge.blockdev.Extent;
import io.amiforge.imagefmt.format.Zeros;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * direct write waits for the disk). Where direct I/O is refused (tmpfs), and for a tail that ends
 * off a page, the writes go through the page cache and their write-back starts at once
 * ({@link WriteBehind}); one {@code fdatasync} at the end either way, as {@code qemu-img convert
 * -t writeback} does.
 */
final class RawExport {

    /** Bytes one worker reads and writes at a time. */
    static final int PIECE = 4 << 20;
    /** The unit of zero detection and the alignment of direct writes. */
    private static final int PAGE = DirectIo.ALIGNMENT;
    /**
     * Workers taking pieces in turn, each with its own {@value #PIECE}-byte buffer. Eight: writing
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
    private final AtomicLong next = new AtomicLong();
    private final AtomicLong written = new AtomicLong();

    private RawExport(BlockDevice device, Path file, FileChannel buffered, FileChannel direct, WriteBehind behind) {
        this.device = device;
        this.file = file;
        this.buffered = buffered;
        this.direct = direct;
        this.behind = behind;
    }

    /** Writes {@code device} into the new (empty) {@code file}, fdatasynced; returns the data bytes written. */
    static long write(BlockDevice device, Path file) {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw");
             WriteBehind behind = WriteBehind.open(file)) {
            raf.setLength(0);
            raf.setLength(device.size()); // one hole of the device's size (ftruncate)
            FileChannel buffered = raf.getChannel();
            FileChannel direct = DirectIo.openForWrite(file);
            try {
                RawExport export = new RawExport(device, file, buffered, direct, behind);
                export.run();
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
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(PIECE, PAGE);
            long piece;
            while ((piece = next.getAndAdd(PIECE)) < size) {
                long end = Math.min(size, piece + PIECE);
                long pos = piece;
                while (pos < end) {
                    Extent extent = AllocationStatus.of(device, pos, end - pos);
                    long stop = pos + extent.length();
                    if (extent.kind() == Extent.Kind.DATA) {
                        // whole pages (pieces start on one): the page before pos was not data, so nothing is written twice
                        long from = pos & -(long) PAGE;
                        long to = Math.min(end, (stop + PAGE - 1) & -(long) PAGE);
                        MemorySegment data = buffer.asSlice(0, to - from);
                        device.read(from, data);
                        writeNonZero(from, data);
                        stop = to;
                    }
                    pos = stop;
                }
            }
        }
    }

    /** Writes each run of non-zero pages of {@code data} (read at {@code offset}) with one write. */
    private void writeNonZero(long offset, MemorySegment data) {
        long n = data.byteSize();
        long run = -1;
        for (long i = 0; i < n; i += PAGE) {
            long page = Math.min(PAGE, n - i);
            boolean zero = MemorySegment.mismatch(data, i, i + page, Zeros.SEGMENT, 0, page) == -1; // no slice per page
            if (!zero && run < 0) {
                run = i;
            } else if (zero && run >= 0) {
                write(offset + run, data.asSlice(run, i - run));
                run = -1;
            }
        }
        if (run >= 0) {
            write(offset + run, data.asSlice(run, n - run));
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
}
