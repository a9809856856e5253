package io.amiforge.boot.pv;

import java.util.Optional;

/**
 * The guest filesystem as PV-GRUB needs it: look up an entry's type, read a symlink's target,
 * and read a regular file's bytes. Paths are absolute, '/'-separated, and already free of
 * symlinks in every component but the last: {@link GuestPaths} follows links, one component
 * at a time, so an implementation never follows a symlink itself.
 *
 * <p>Implementations report damage and I/O failures as
 * {@link io.amiforge.blockdev.AmiforgeException}s; PV-GRUB turns them into boot failures.
 * The integrator adapts imagefmt's ext2/3/4 reader to this interface.
 */
public interface GuestFileSystem {

    /** What a directory entry is. */
    enum FileType { REGULAR, DIRECTORY, SYMLINK, OTHER }

    /**
     * The type of the entry at {@code path}, without following a symlink at its last
     * component ({@code lstat}); empty when the entry (or a parent directory) does not exist.
     */
    Optional<FileType> type(String path);

    /** The target of the symlink at {@code path}, exactly as stored (relative or absolute). */
    String readlink(String path);

    /** The size in bytes of the regular file at {@code path}. */
    long size(String path);

    /**
     * All bytes of the regular file at {@code path}. Fails (without reading the data) with an
     * {@link io.amiforge.blockdev.AmiforgeException} of code {@code FileTooLarge} when the file
     * is longer than {@code maxBytes}, so a hostile size never becomes an allocation.
     */
    byte[] read(String path, int maxBytes);

    /** Whether anything exists at {@code path} (not following a final symlink). */
    default boolean exists(String path) {
        return type(path).isPresent();
    }

    /** The filesystem's name as GRUB prints it ("ext2fs" covers ext2/3/4). */
    default String grubTypeName() {
        return "ext2fs";
    }
}
