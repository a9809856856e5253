package io.amiforge.boot.image;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.boot.pv.GuestFileSystem;
import io.amiforge.imagefmt.ext.ExtFileSystem;
import io.amiforge.imagefmt.ext.FileStat;
import java.util.Optional;

/** PV-GRUB's view ({@link GuestFileSystem}) of an ext2/3/4 filesystem read by imagefmt's {@link ExtFileSystem}. */
public final class ExtGuestFileSystem implements GuestFileSystem {

    private final ExtFileSystem fs;

    private ExtGuestFileSystem(ExtFileSystem fs) {
        this.fs = fs;
    }

    /** Opens the ext filesystem on {@code device}; a device without one is an {@code InvalidFilesystem} error. */
    public static GuestFileSystem open(BlockDevice device) {
        return new ExtGuestFileSystem(ExtFileSystem.open(device));
    }

    @Override
    public Optional<FileType> type(String path) {
        FileStat stat;
        try {
            stat = fs.lstat(path);
        } catch (AmiforgeException e) {
            if (e.kind() == AmiforgeException.Kind.NOT_FOUND || e.code().equals("NotADirectory")) {
                return Optional.empty();
            }
            throw e;
        }
        return Optional.of(switch (stat.type()) {
            case REGULAR -> FileType.REGULAR;
            case DIRECTORY -> FileType.DIRECTORY;
            case SYMLINK -> FileType.SYMLINK;
            default -> FileType.OTHER;
        });
    }

    @Override
    public String readlink(String path) {
        return fs.readlink(path);
    }

    @Override
    public long size(String path) {
        return fs.lstat(path).size();
    }

    @Override
    public byte[] read(String path, int maxBytes) {
        return fs.readAll(path, maxBytes);
    }
}
