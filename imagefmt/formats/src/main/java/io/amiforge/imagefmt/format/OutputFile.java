package io.amiforge.imagefmt.format;

import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.blockdev.BlockDeviceException;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.function.Function;

/**
 * Writes an output file all or nothing: the content goes to a temporary file in the target's
 * own directory, which is renamed over the target only once it is complete. A failure deletes
 * the temporary file, so it leaves no half-written output and an existing target untouched.
 */
public final class OutputFile {

    private static final Set<PosixFilePermission> DEFAULT_PERMISSIONS = PosixFilePermissions.fromString("rw-r--r--");

    private OutputFile() {
    }

    /**
     * Calls {@code writer} with a new temporary file beside {@code target} and, when it returns,
     * renames that file to {@code target} (replacing it atomically where the filesystem can).
     * The writer must have flushed what it wrote before it returns. Returns what it returned.
     */
    public static <R> R write(Path target, Function<Path, R> writer) {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new ImageFormatException(Kind.NOT_FOUND, "FileNotFound",
                    target + ": cannot write: directory " + dir + " does not exist");
        }
        Path temp;
        try {
            temp = Files.createTempFile(dir, "." + absolute.getFileName() + ".", ".partial");
        } catch (IOException e) {
            throw new BlockDeviceException.Io(target.toString(), "cannot create a temporary file in " + dir, e);
        }
        boolean done = false;
        try {
            R result = writer.apply(temp);
            setPermissions(temp, absolute);
            move(temp, absolute);
            done = true;
            return result;
        } finally {
            if (!done) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // the original failure is the one to report
                }
            }
        }
    }

    /** The target's permissions when it exists (it is being replaced), else rw-r--r--. */
    private static void setPermissions(Path temp, Path target) {
        try {
            Set<PosixFilePermission> permissions = Files.exists(target)
                    ? Files.getPosixFilePermissions(target) : DEFAULT_PERMISSIONS;
            Files.setPosixFilePermissions(temp, permissions);
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX filesystem: keep what the temporary file got
        }
    }

    private static void move(Path temp, Path target) {
        try {
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new BlockDeviceException.Io(target.toString(), "cannot rename the finished output " + temp + " into place", e);
        }
    }
}
