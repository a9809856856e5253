package io.amiforge.cloud;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.store.spi.FileOps;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

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
            throw ioError(file, e);
        }
        writeBytes(file, bytes, fileOps);
    }

    /** Replaces {@code file} with {@code bytes} durably and atomically; {@code IOError} naming the file if it cannot. */
    public static void writeBytes(Path file, byte[] bytes) {
        writeBytes(file, bytes, FileOps.REAL);
    }

    /**
     * As {@link #writeBytes(Path, byte[])} for a secret: the file is mode 0600 from its first byte
     * (the temporary file is created so, and the rename keeps it).
     */
    public static void writeOwnerOnly(Path file, byte[] bytes) {
        try {
            Path temp = writeTemp(file, bytes, FileOps.REAL, true);
            FileOps.REAL.before(FileOps.Op.RENAME, file);
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory(file, FileOps.REAL);
        } catch (IOException e) {
            throw ioError(file, e);
        }
    }

    /**
     * Creates {@code file} (mode 0600) holding {@code bytes}, durably and atomically, unless it exists:
     * the file appears complete or not at all, so a crash never leaves a half-written secret behind.
     *
     * @return false, writing nothing, if {@code file} already exists (another process made it first)
     */
    public static boolean createOwnerOnly(Path file, byte[] bytes) {
        Path temp = null;
        try {
            temp = writeTemp(file, bytes, FileOps.REAL, true);
            try {
                Files.createLink(file, temp);
            } catch (FileAlreadyExistsException raced) {
                return false;
            }
            syncDirectory(file, FileOps.REAL);
            return true;
        } catch (IOException e) {
            throw ioError(file, e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // a leftover temporary file is replaced by the next write
                }
            }
        }
    }

    private static void writeBytes(Path file, byte[] bytes, FileOps fileOps) {
        try {
            Path temp = writeTemp(file, bytes, fileOps, false);
            fileOps.before(FileOps.Op.RENAME, file);
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory(file, fileOps);
        } catch (IOException e) {
            throw ioError(file, e);
        }
    }

    /** {@code FILE.tmp} with {@code bytes}, fsynced; created 0600 when {@code ownerOnly}. */
    private static Path writeTemp(Path file, byte[] bytes, FileOps fileOps, boolean ownerOnly) throws IOException {
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        fileOps.before(FileOps.Op.CREATE, temp);
        if (ownerOnly) {
            Files.deleteIfExists(temp);
            Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
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
        return temp;
    }

    private static void syncDirectory(Path file, FileOps fileOps) throws IOException {
        try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            fileOps.before(FileOps.Op.FSYNC, file.getParent());
            dir.force(true);
        }
    }

    private static AmiforgeException ioError(Path file, IOException e) {
        return new AmiforgeException(AmiforgeException.Kind.FAILED, "IOError", file + ": cannot write: " + e.getMessage(), e);
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
