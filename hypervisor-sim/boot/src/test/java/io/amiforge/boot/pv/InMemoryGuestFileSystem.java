package io.amiforge.boot.pv;

import io.amiforge.blockdev.AmiforgeException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** A test {@link GuestFileSystem} held in maps: files, directories and symlinks by absolute path. */
final class InMemoryGuestFileSystem implements GuestFileSystem {

    private final Map<String, byte[]> files = new HashMap<>();
    private final Map<String, String> links = new HashMap<>();
    private final Map<String, Boolean> dirs = new HashMap<>();

    InMemoryGuestFileSystem() {
        dirs.put("/", true);
    }

    InMemoryGuestFileSystem file(String path, byte[] data) {
        parents(path);
        links.remove(path);
        files.put(path, data);
        return this;
    }

    InMemoryGuestFileSystem file(String path, String text) {
        return file(path, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    InMemoryGuestFileSystem symlink(String path, String target) {
        parents(path);
        files.remove(path);
        links.put(path, target);
        return this;
    }

    InMemoryGuestFileSystem dir(String path) {
        parents(path);
        dirs.put(path, true);
        return this;
    }

    private void parents(String path) {
        int i = path.lastIndexOf('/');
        while (i > 0) {
            dirs.put(path.substring(0, i), true);
            i = path.lastIndexOf('/', i - 1);
        }
    }

    @Override
    public Optional<FileType> type(String path) {
        if (files.containsKey(path)) {
            return Optional.of(FileType.REGULAR);
        }
        if (links.containsKey(path)) {
            return Optional.of(FileType.SYMLINK);
        }
        if (dirs.containsKey(path)) {
            return Optional.of(FileType.DIRECTORY);
        }
        return Optional.empty();
    }

    @Override
    public String readlink(String path) {
        String t = links.get(path);
        if (t == null) {
            throw new AmiforgeException(AmiforgeException.Kind.NOT_FOUND, "FileNotFound", path + " is not a symlink");
        }
        return t;
    }

    @Override
    public long size(String path) {
        byte[] d = files.get(path);
        if (d == null) {
            throw new AmiforgeException(AmiforgeException.Kind.NOT_FOUND, "FileNotFound", path + " is not a file");
        }
        return d.length;
    }

    @Override
    public byte[] read(String path, int maxBytes) {
        if (size(path) > maxBytes) {
            throw new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "FileTooLarge", path + " is larger than " + maxBytes);
        }
        return files.get(path).clone();
    }
}
