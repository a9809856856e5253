package io.amiforge.cloud;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.store.spi.FileOps;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Durable files (the cloud's JSON documents, and any other whole file): written to a temporary
 * file, fsynced, renamed over the old one, and the directory fsynced, so a reader sees the old
 * content or the new one, never a mix, and a returned write survives a crash.
 */
public final class AtomicFiles {

    static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private AtomicFiles() {
    }

    /** Writes {@code value} as {@code file}, reporting each file operation to {@code fileOps} first. */
    static void write(Path file, Object value, FileOps fileOps) {
        byte[] bytes;
        try {
            bytes = MAPPER.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new AmiforgeException(AmiforgeException.Kind.FAILED, "IOError", file + ": cannot write: " + e.getMessage(), e);
        }
        writeBytes(file, bytes, fileOps);
    }

    /** Replaces {@code file} with {@code bytes} durably and atomically; {@code IOError} naming the file if it cannot. */
    public static void writeBytes(Path file, byte[] bytes) {
        writeBytes(file, bytes, FileOps.REAL);
    }

    private static void writeBytes(Path file, byte[] bytes, FileOps fileOps) {
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            fileOps.before(FileOps.Op.CREATE, temp);
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                fileOps.before(FileOps.Op.WRITE, temp);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                fileOps.before(FileOps.Op.FSYNC, temp);
                channel.force(true);
            }
            fileOps.before(FileOps.Op.RENAME, file);
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
                fileOps.before(FileOps.Op.FSYNC, file.getParent());
                dir.force(true);
            }
        } catch (IOException e) {
            throw new AmiforgeException(AmiforgeException.Kind.FAILED, "IOError", file + ": cannot write: " + e.getMessage(), e);
        }
    }

    /** The document in {@code file}, or null if there is none yet; a damaged one is a clear error. */
    static <T> T read(Path file, Class<T> type) {
        try {
            return MAPPER.readValue(Files.readAllBytes(file), type);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "CorruptData",
                    file + ": cannot be read as amiforge state: " + e.getMessage(), e);
        }
    }
}
