package io.amiforge.imagefmt.format;

import java.nio.ByteBuffer;

/**
 * One thread's input buffer for compressed units (qcow2 compressed clusters, VMDK grains) read
 * from an image file. With read-ahead on, a read that starts where the previous one ended (within
 * {@value #GAP} bytes either way: compressed units written one after the other, whose recorded
 * sizes may be rounded up past the next one's start) fetches a
 * whole buffer's worth with one file read, and the units after it are then served from memory;
 * a read elsewhere reads just what it needs. Read-ahead is only for files that do not change
 * while they are read (read-only images): what the buffer holds is never invalidated. Without
 * it, every fetch reads exactly the unit asked for. Fetching allocates nothing.
 */
public final class ReadAheadWindow {

    /** How far past the previous unit's end a unit may start and still count as the next one. */
    public static final int GAP = 4096;

    /** Reads file bytes at an offset into a buffer's remaining space (zeros past the end of the file). */
    @FunctionalInterface
    public interface FileReader {
        void read(long offset, ByteBuffer dst);
    }

    private final byte[] bytes;
    private final ByteBuffer buffer;
    private final boolean readAhead;
    /** The file offset of {@code bytes[0]}, or -1 when nothing is held. */
    private long start = -1;
    private int valid;
    private long lastEnd = -1;

    /** A buffer of {@code capacity} bytes (at least the largest unit fetched). */
    public ReadAheadWindow(int capacity, boolean readAhead) {
        this.bytes = new byte[capacity];
        this.buffer = ByteBuffer.wrap(bytes);
        this.readAhead = readAhead;
    }

    /** The buffer that {@link #fetch} fills. */
    public byte[] bytes() {
        return bytes;
    }

    /**
     * Makes the {@code length} bytes at {@code offset} of {@code file} (of {@code fileSize}
     * bytes; {@code length} at most the capacity and {@code offset + length} at most the file
     * size) available in {@link #bytes()}, and returns the index where they start.
     */
    public int fetch(FileReader file, long offset, int length, long fileSize) {
        if (length > bytes.length) {
            throw new IllegalArgumentException("fetch of " + length + " bytes into a " + bytes.length + "-byte window");
        }
        int at;
        if (readAhead && start >= 0 && offset >= start && offset - start <= valid - length) {
            at = (int) (offset - start);
        } else {
            // the next unit: near the end of the previous one, which may overlap it (qcow2 rounds a compressed size up to sectors)
            boolean next = readAhead && lastEnd >= 0 && Math.abs(offset - lastEnd) <= GAP;
            int n = next ? (int) Math.max(length, Math.min(bytes.length, fileSize - offset)) : length;
            buffer.clear().limit(n);
            file.read(offset, buffer);
            start = readAhead ? offset : -1;
            valid = n;
            at = 0;
        }
        lastEnd = offset + length;
        return at;
    }
}
