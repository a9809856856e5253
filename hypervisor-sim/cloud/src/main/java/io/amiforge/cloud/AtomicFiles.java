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
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Durable files (the cloud's JSON documents, and any other whole file): written to a temporary
 * file, fsynced, renamed over the old one, and the directory fsynced, so a reader sees the old
 * content or the new one, never a mix, and a returned write survives a crash.
 */
public final class AtomicFiles {

    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

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
        replace(file, bytes, FileOps.REAL, true);
    }

    /**
     * Creates {@code file} (mode 0600) holding {@code bytes}, durably and atomically, unless it exists:
     * the file appears complete or not at all, so a crash never leaves a half-written secret behind.
     * Safe against another process creating it at the same time: its bytes are written to a
     * temporary file of its own, then hard-linked into place, which fails if the name exists.
     *
     * @return false, writing nothing, if {@code file} already exists (another process made it first)
     */
    public static boolean createOwnerOnly(Path file, byte[] bytes) {
        Path temp = null;
        try {
            temp = Files.createTempFile(file.getParent(), file.getFileName() + ".", ".tmp", OWNER_ONLY);
            fill(temp, bytes, FileOps.REAL);
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
                    // only a temporary file is left behind
                }
            }
        }
    }

    private static void writeBytes(Path file, byte[] bytes, FileOps fileOps) {
        replace(file, bytes, fileOps, false);
    }

    /** Writes {@code FILE.tmp} (created 0600 when {@code ownerOnly}), fsyncs it, renames it over {@code file}, fsyncs the directory. */
    private static void replace(Path file, byte[] bytes, FileOps fileOps, boolean ownerOnly) {
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            fileOps.before(FileOps.Op.CREATE, temp);
            if (ownerOnly) {
                Files.deleteIfExists(temp);
                Files.createFile(temp, OWNER_ONLY);
            }
            fill(temp, bytes, fileOps);
            fileOps.before(FileOps.Op.RENAME, file);
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory(file, fileOps);
        } catch (IOException e) {
            throw ioError(file, e);
        }
    }

    /** {@code temp} (created if missing) holding exactly {@code bytes}, fsynced. */
    private static void fill(Path temp, byte[] bytes, FileOps fileOps) throws IOException {
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
