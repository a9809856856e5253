package io.amiforge.cloud.bundle;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A gzip stream compressed on several threads, as pigz does: the input is cut into 128 KiB
 * blocks; each block is raw-deflated on its own with the previous 32 KiB of input as preset
 * dictionary and ends on a byte boundary (SYNC_FLUSH, the last one with FINISH); the blocks
 * are written in order between one gzip header and one trailer (CRC-32 and length of all the
 * input). The result is one ordinary gzip member that {@code gzip -d}, {@code pigz -d} and
 * {@link java.util.zip.GZIPInputStream} read.
 *
 * <p>Threads: the caller's thread copies input into blocks and computes the CRC; {@code threads}
 * workers deflate; one writer thread writes compressed blocks, in order, to the sink. Memory is
 * fixed: {@code 4 * threads + 8} blocks of about 300 KiB (128 KiB blocks), reused. A failure of the sink is
 * reported by the next {@code write} or by {@code close}. The sink is written only by the writer
 * thread, and closed by {@link #close()}. After any exception, call {@link #abort()} (idempotent)
 * to stop the threads without closing the sink.
 *
 * <p>Not thread-safe: one producer thread.
 */
public final class ParallelGzipOutputStream extends OutputStream {

    /** pigz's default block: input bytes per independently deflated block. */
    public static final int BLOCK_SIZE = 128 * 1024;
    /** The preset dictionary: the last 32 KiB before a block (the deflate window). */
    public static final int DICTIONARY_SIZE = 32 * 1024;

    private static final Block STOP = new Block(0);

    private final OutputStream sink;
    private final int level;
    private final int blockSize;
    private final BlockingQueue<Block> free;
    private final BlockingQueue<Block> work;
    private final BlockingQueue<Block> ordered;
    private final Thread[] workers;
    private final Thread writer;
    private final CRC32 crc = new CRC32();
    private final byte[] oneByte = new byte[1];
    private long total;
    private Block current;
    private volatile Throwable failure;
    private boolean closed;

    /** One block of input and its compressed form; reused. */
    private static final class Block {
        final byte[] in;
        byte[] out;
        int dictionaryLength;
        int length;
        int outLength;
        boolean last;
        long crc;
        long isize;
        final Semaphore done = new Semaphore(0);

        Block(int capacity) {
            in = new byte[capacity == 0 ? 0 : DICTIONARY_SIZE + capacity];
            out = new byte[capacity == 0 ? 0 : capacity + (capacity >> 3) + 64];
        }
    }

    /**
     * @param sink    receives the gzip stream (from the writer thread)
     * @param level   deflate level 1..9 (pigz and gzip default to 6)
     * @param threads compressing threads, at least 1
     */
    public ParallelGzipOutputStream(OutputStream sink, int level, int threads) {
        this(sink, level, threads, BLOCK_SIZE);
    }

    /**
     * @param blockSize input bytes per block, at least 32 KiB; larger blocks spend less time
     *                  loading the 32 KiB dictionary (a fixed cost per block) at the price of more
     *                  memory and coarser load balancing
     */
    public ParallelGzipOutputStream(OutputStream sink, int level, int threads, int blockSize) {
        if (blockSize < DICTIONARY_SIZE || blockSize > (64 << 20)) {
            throw new IllegalArgumentException("block size " + blockSize + ", expected 32 KiB..64 MiB");
        }
        this.blockSize = blockSize;
        if (level < 1 || level > 9) {
            throw new IllegalArgumentException("gzip level " + level + ", expected 1..9");
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads " + threads + ", expected at least 1");
        }
        this.sink = sink;
        this.level = level;
        // Blocks in flight. More than pigz's 2p+3: on a loaded machine a descheduled worker holds
        // up the in-order writer, and the other workers keep going only while free blocks remain.
        int blocks = 4 * threads + 8;
        free = new ArrayBlockingQueue<>(blocks);
        work = new ArrayBlockingQueue<>(blocks + threads);
        ordered = new ArrayBlockingQueue<>(blocks);
        for (int i = 0; i < blocks; i++) {
            free.add(new Block(blockSize));
        }
        current = free.poll();
        workers = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            workers[i] = Thread.ofPlatform().daemon().name("amiforge-gzip-" + i).start(this::compressLoop);
        }
        writer = Thread.ofPlatform().daemon().name("amiforge-gzip-writer").start(this::writeLoop);
    }

    @Override
    public void write(int b) throws IOException {
        oneByte[0] = (byte) b;
        write(oneByte, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (closed) {
            throw new IOException("gzip stream is closed");
        }
        checkFailure();
        crc.update(b, off, len);
        total += len;
        while (len > 0) {
            if (current.length == blockSize) {
                rotate();
            }
            int n = Math.min(len, blockSize - current.length);
            System.arraycopy(b, off, current.in, DICTIONARY_SIZE + current.length, n);
            current.length += n;
            off += n;
            len -= n;
        }
    }

    /** Hands the full current block to the workers; the next block starts with its last 32 KiB. */
    private void rotate() throws IOException {
        checkFailure();
        Block next = take(free);
        // Copy the dictionary before submitting: once submitted, the block may be recycled.
        System.arraycopy(current.in, blockSize, next.in, 0, DICTIONARY_SIZE); // the last 32 KiB of input
        next.dictionaryLength = DICTIONARY_SIZE;
        next.length = 0;
        next.last = false;
        submit(current);
        current = next;
    }

    private void submit(Block b) throws IOException {
        put(ordered, b);
        put(work, b);
    }

    /** Finishes the gzip stream, waits until every byte reached the sink, and closes the sink. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            checkFailure();
            current.last = true;
            current.crc = crc.getValue();
            current.isize = total;
            submit(current);
            current = null;
            for (int i = 0; i < workers.length; i++) {
                put(work, STOP);
            }
            writer.join();
            for (Thread w : workers) {
                w.join();
            }
        } catch (InterruptedException e) {
            abort();
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while finishing the gzip stream");
        } catch (IOException | RuntimeException e) {
            abort();
            throw e;
        }
        checkFailure();
        sink.close();
    }

    /** Stops all threads at once; the stream is unusable afterwards. Does not close the sink. */
    public void abort() {
        closed = true;
        if (failure == null) {
            failure = new IOException("gzip stream aborted");
        }
        for (Thread w : workers) {
            w.interrupt();
        }
        writer.interrupt();
    }

    /** Bytes of uncompressed input written so far. */
    public long inputBytes() {
        return total;
    }

    private void checkFailure() throws IOException {
        Throwable f = failure;
        if (f != null) {
            if (f instanceof IOException io) {
                throw new IOException(io.getMessage(), io);
            }
            if (f instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException("parallel gzip failed: " + f, f);
        }
    }

    private void compressLoop() {
        Deflater deflater = new Deflater(level, true);
        try {
            while (true) {
                Block b = work.take();
                if (b == STOP) {
                    return;
                }
                try {
                    deflate(deflater, b);
                } catch (Throwable t) {
                    fail(t);
                    b.outLength = 0;
                }
                b.done.release();
            }
        } catch (InterruptedException e) {
            // aborted
        } finally {
            deflater.end();
        }
    }

    private static void deflate(Deflater d, Block b) {
        d.reset();
        if (b.dictionaryLength > 0) {
            d.setDictionary(b.in, 0, b.dictionaryLength);
        }
        d.setInput(b.in, DICTIONARY_SIZE, b.length);
        int produced = 0;
        if (b.last) {
            d.finish();
            while (!d.finished()) {
                if (produced == b.out.length) {
                    b.out = java.util.Arrays.copyOf(b.out, b.out.length * 2);
                }
                produced += d.deflate(b.out, produced, b.out.length - produced, Deflater.NO_FLUSH);
            }
        } else {
            while (true) {
                int room = b.out.length - produced;
                int n = d.deflate(b.out, produced, room, Deflater.SYNC_FLUSH);
                produced += n;
                if (n < room) {
                    break; // all input consumed and flushed to a byte boundary
                }
                b.out = java.util.Arrays.copyOf(b.out, b.out.length * 2);
            }
        }
        b.outLength = produced;
    }

    private void writeLoop() {
        try {
            try {
                // gzip header: magic, deflate, no flags, mtime 0 (reproducible), no extra flags, OS unix
                sink.write(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3});
            } catch (Throwable t) {
                fail(t);
            }
            while (true) {
                Block b = ordered.take();
                b.done.acquire();
                if (failure == null) {
                    try {
                        sink.write(b.out, 0, b.outLength);
                        if (b.last) {
                            byte[] trailer = new byte[8];
                            putIntLE(trailer, 0, (int) b.crc);
                            putIntLE(trailer, 4, (int) b.isize);
                            sink.write(trailer);
                        }
                    } catch (Throwable t) {
                        fail(t);
                    }
                }
                boolean last = b.last;
                free.put(b);
                if (last) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            // aborted
        }
    }

    private void fail(Throwable t) {
        if (failure == null) {
            failure = t;
        }
    }

    private static void putIntLE(byte[] a, int at, int v) {
        a[at] = (byte) v;
        a[at + 1] = (byte) (v >>> 8);
        a[at + 2] = (byte) (v >>> 16);
        a[at + 3] = (byte) (v >>> 24);
    }

    private Block take(BlockingQueue<Block> q) throws IOException {
        try {
            return q.take();
        } catch (InterruptedException e) {
            abort();
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while compressing");
        }
    }

    private void put(BlockingQueue<Block> q, Block b) throws IOException {
        try {
            q.put(b);
        } catch (InterruptedException e) {
            abort();
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while compressing");
        }
    }
}
