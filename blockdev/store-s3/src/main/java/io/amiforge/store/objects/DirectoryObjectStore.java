package io.amiforge.store.objects;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The {@link ObjectStore} contract on a directory ({@code file:///path}): each object is a file
 * under {@code objects/} at its key, written whole to {@code uploads/} first and then renamed in,
 * so it is visible whole or not at all; {@link #putIfAbsent} links the finished file to its key,
 * which the file system does atomically (two hosts on one POSIX file system: one wins). An
 * interrupted {@link #putFile} leaves only a file in {@code uploads/}, which
 * {@link #abortStaleUploads} deletes. For a shared disk, tests and the command line's own tests;
 * S3 is the production tier. Keys must not contain {@code ..} segments.
 */
public final class DirectoryObjectStore implements ObjectStore {

    private final Path root;
    private final Path objects;
    private final Path uploads;

    /** The store in {@code root} (created if absent). */
    public DirectoryObjectStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
        this.objects = this.root.resolve("objects");
        this.uploads = this.root.resolve("uploads");
        try {
            Files.createDirectories(objects);
            Files.createDirectories(uploads);
        } catch (IOException e) {
            throw ObjectStoreException.error(describe(), "create the store directory", e);
        }
    }

    private Path path(String key) {
        if (key.isEmpty() || key.startsWith("/") || key.endsWith("/") || ("/" + key + "/").contains("/../")
                || ("/" + key + "/").contains("/./")) {
            throw ObjectStoreException.error(describe(), "key '" + key + "'", new IllegalArgumentException("not a valid object key"));
        }
        return objects.resolve(key);
    }

    /** Writes {@code body} (or the file range) to a fresh file in {@code uploads/}, fsynced. */
    private Path stage(byte[] body) throws IOException {
        Path tmp = uploads.resolve(UUID.randomUUID() + ".part");
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(body);
            while (b.hasRemaining()) {
                out.write(b);
            }
            out.force(true);
        }
        return tmp;
    }

    @Override
    public boolean putIfAbsent(String key, byte[] body) {
        Path target = path(key);
        try {
            Path tmp = stage(body);
            try {
                Files.createDirectories(target.getParent());
                Files.createLink(target, tmp);
                return true;
            } catch (FileAlreadyExistsException e) {
                return false;
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw ObjectStoreException.error(describe(), "put-if-absent " + key, e);
        }
    }

    @Override
    public void put(String key, byte[] body) {
        Path target = path(key);
        try {
            Path tmp = stage(body);
            publish(tmp, target);
        } catch (IOException e) {
            throw ObjectStoreException.error(describe(), "put " + key, e);
        }
    }

    private static void publish(Path tmp, Path target) throws IOException {
        try {
            Files.createDirectories(target.getParent());
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Override
    public void putFile(String key, Path file, long offset, long length) {
        Path target = path(key);
        Path tmp = uploads.resolve(UUID.randomUUID() + ".part");
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                long done = 0;
                while (done < length) {
                    long n = in.transferTo(offset + done, length - done, out);
                    if (n <= 0) {
                        throw new IOException(file + " ends before byte " + (offset + length));
                    }
                    done += n;
                }
                out.force(true);
            }
            publish(tmp, target);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException again) {
                e.addSuppressed(again);
            }
            throw ObjectStoreException.error(describe(), "upload of " + key + " from " + file, e);
        }
    }

    @Override
    public byte[] get(String key) {
        try {
            return Files.readAllBytes(path(key));
        } catch (NoSuchFileException e) {
            throw ObjectStoreException.notFound(describe(), key);
        } catch (IOException e) {
            throw ObjectStoreException.error(describe(), "get " + key, e);
        }
    }

    @Override
    public void read(String key, long offset, ByteBuffer dst) {
        try (FileChannel in = FileChannel.open(path(key), StandardOpenOption.READ)) {
            long size = in.size();
            if (offset < 0 || offset > size - dst.remaining()) {
                throw new ObjectStoreException(io.amiforge.blockdev.AmiforgeException.Kind.NOT_FOUND, "ObjectNotFound", describe()
                        + ": object '" + key + "' has " + size + " bytes; no range of " + dst.remaining() + " at " + offset, null);
            }
            long at = offset;
            while (dst.hasRemaining()) {
                int n = in.read(dst, at);
                if (n < 0) {
                    throw new IOException("short read at " + at);
                }
                at += n;
            }
        } catch (NoSuchFileException e) {
            throw ObjectStoreException.notFound(describe(), key);
        } catch (IOException e) {
            throw ObjectStoreException.error(describe(), "read of " + key + " at " + offset, e);
        }
    }

    @Override
    public ObjectInfo head(String key) {
        Path p = path(key);
        try {
            long size = Files.size(p);
            long modified = Files.getLastModifiedTime(p).toMillis();
            return new ObjectInfo(key, size, Long.toHexString(modified) + "-" + Long.toHexString(size), modified);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw ObjectStoreException.error(describe(), "head " + key, e);
        }
    }

    @Override
    public List<ObjectInfo> list(String prefix) {
        List<ObjectInfo> out = new ArrayList<>();
        try (Stream<Path> all = Files.walk(objects)) {
            for (Path p : all.filter(Files::isRegularFile).toList()) {
                String key = objects.relativize(p).toString().replace(p.getFileSystem().getSeparator(), "/");
                if (key.startsWith(prefix)) {
                    ObjectInfo info = head(key);
                    if (info != null) {
                        out.add(info);
                    }
                }
            }
        } catch (IOException e) {
            throw ObjectStoreException.error(describe(), "list " + prefix, e);
        }
        out.sort(java.util.Comparator.comparing(ObjectInfo::key));
        return out;
    }

    @Override
    public void delete(String key) {
        try {
            Files.deleteIfExists(path(key));
        } catch (IOException e) {
            throw ObjectStoreException.error(describe(), "delete " + key, e);
        }
    }

    /** Deletes staged files older than the limit (this store does not know their keys, so {@code prefix} is not used). */
    @Override
    public int abortStaleUploads(String prefix, long olderThanMillis) {
        long now = System.currentTimeMillis();
        int aborted = 0;
        try (Stream<Path> all = Files.list(uploads)) {
            for (Path p : all.toList()) {
                try {
                    if (now - Files.getLastModifiedTime(p).toMillis() > olderThanMillis && Files.deleteIfExists(p)) {
                        aborted++;
                    }
                } catch (NoSuchFileException e) {
                    // finished meanwhile
                }
            }
        } catch (IOException e) {
            throw ObjectStoreException.error(describe(), "abort stale uploads", e);
        }
        return aborted;
    }

    @Override
    public String describe() {
        return root.toUri().toString();
    }

    @Override
    public void close() {
        // nothing held open
    }
}
