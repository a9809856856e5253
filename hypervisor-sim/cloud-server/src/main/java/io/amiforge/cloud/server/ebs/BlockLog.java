package io.amiforge.cloud.server.ebs;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.AmiforgeException.Kind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * The blocks an upload has been given, one 44-byte record per PutSnapshotBlock: block index
 * (8 bytes), the block's SHA-256 (32) and a CRC32C of both (4), appended in one write after the
 * block itself is in the volume. Like a returned volume write, a returned append is in the page
 * cache: it survives the process dying, and CompleteSnapshot fsyncs the volume before the
 * snapshot exists. A block put twice has two records; the later one counts.
 *
 * <p>Reading: a short last record is a process that died mid-append (that block's put never
 * returned) and is ignored; a whole record whose CRC does not match is damage and is reported.
 */
final class BlockLog implements AutoCloseable {

    static final int RECORD = Long.BYTES + 32 + Integer.BYTES;

    private final Path file;
    private final FileChannel channel;

    private BlockLog(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    static BlockLog open(Path file) {
        try {
            return new BlockLog(file, FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND));
        } catch (IOException e) {
            throw new AmiforgeException(Kind.FAILED, "IOError", file + ": cannot open the upload's block log: " + e.getMessage(), e);
        }
    }

    /** Records that block {@code index} now holds data whose SHA-256 is {@code digest}. */
    void append(long index, byte[] digest) {
        ByteBuffer record = ByteBuffer.allocate(RECORD);
        record.putLong(index).put(digest);
        CRC32C crc = new CRC32C();
        crc.update(record.array(), 0, Long.BYTES + 32);
        record.putInt((int) crc.getValue()).flip();
        try {
            while (record.hasRemaining()) {
                channel.write(record);
            }
        } catch (IOException e) {
            throw new AmiforgeException(Kind.FAILED, "IOError", file + ": cannot record block " + index + ": " + e.getMessage(), e);
        }
    }

    /** Makes every record appended so far durable. */
    void force() {
        try {
            channel.force(false);
        } catch (IOException e) {
            throw new AmiforgeException(Kind.FAILED, "IOError", file + ": cannot fsync the upload's block log: " + e.getMessage(), e);
        }
    }

    /** The digest of each block the log at {@code file} records (none if there is no log). */
    static Map<Long, byte[]> read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Map.of();
        } catch (IOException e) {
            throw new AmiforgeException(Kind.FAILED, "IOError", file + ": cannot read the upload's block log: " + e.getMessage(), e);
        }
        Map<Long, byte[]> digests = new TreeMap<>();
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CRC32C crc = new CRC32C();
        while (in.remaining() >= RECORD) {
            int at = in.position();
            long index = in.getLong();
            byte[] digest = new byte[32];
            in.get(digest);
            crc.reset();
            crc.update(bytes, at, Long.BYTES + 32);
            if (in.getInt() != (int) crc.getValue()) {
                throw new AmiforgeException(Kind.INVALID_INPUT, "CorruptData", file + ": the record at byte " + at
                        + " is damaged (CRC32C mismatch)");
            }
            digests.put(index, digest);
        }
        return digests;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new AmiforgeException(Kind.FAILED, "IOError", file + ": cannot close the upload's block log: " + e.getMessage(), e);
        }
    }
}
