package io.amiforge.cloud.bundle;

import io.amiforge.cloud.bundle.BundleManifest.Part;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * The one way a bundle's part files are read. A part is used only when it is a regular file
 * directly in the bundle's directory (a plain name: no separator, no {@code ..}; not a symbolic
 * link, device or FIFO), when the parts' sizes add up to {@code <bundled_size>} (so no part is
 * read past the bytes the manifest accounts for), and when its SHA-1 matches the manifest,
 * checked before any of its bytes are handed on.
 */
public final class BundleParts {

    private static final int BUFFER = 256 * 1024;

    private BundleParts() {
    }

    /**
     * Checks every part of {@code image} in {@code directory} without reading it: plain name,
     * regular file, sizes adding up to the bundled size. Returns the sizes, in part order.
     */
    static long[] checkFiles(Path directory, BundleManifest.Image image, String manifest) {
        long[] sizes = new long[image.parts().size()];
        long total = 0;
        for (Part p : image.parts()) {
            sizes[p.index()] = attributes(directory, p, manifest).size();
            total = Math.addExact(total, sizes[p.index()]);
            if (total > image.bundledSize()) {
                throw BundleException.invalid(BundleException.INVALID_PART, manifest + ": the parts up to part "
                        + p.index() + " (" + p.filename() + ") hold " + total + " bytes, more than <image><bundled_size> "
                        + image.bundledSize());
            }
        }
        if (total != image.bundledSize()) {
            throw BundleException.invalid(BundleException.INVALID_PART, manifest + ": the " + sizes.length
                    + " parts hold " + total + " bytes, <image><bundled_size> says " + image.bundledSize());
        }
        return sizes;
    }

    private static BasicFileAttributes attributes(Path directory, Part p, String manifest) {
        String name = p.filename();
        if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.equals(".") || name.equals("..")
                || name.indexOf('\0') >= 0) {
            throw BundleException.invalid(BundleException.INVALID_PART, manifest + ": part " + p.index()
                    + " file name '" + name + "' is not a plain file name");
        }
        Path file = directory.resolve(name);
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw BundleException.invalid(BundleException.INVALID_PART, manifest + ": part " + p.index() + " ("
                    + name + ") is missing: no such file " + file);
        } catch (IOException e) {
            throw BundleException.io(file.toString(), e);
        }
        if (!attributes.isRegularFile()) {
            String what = attributes.isSymbolicLink() ? "a symbolic link" : attributes.isDirectory() ? "a directory"
                    : "a device, FIFO or socket";
            throw BundleException.invalid(BundleException.INVALID_PART, manifest + ": part " + p.index() + " ("
                    + name + ") is " + what + ", not a regular file in the bundle's directory " + directory);
        }
        return attributes;
    }

    /**
     * Opens part {@code p} (checked as {@link #checkFiles} does, without following a link) and
     * checks that its first {@code size} bytes have the manifest's SHA-1. Returns the channel,
     * positioned at 0, for the caller to read exactly {@code size} bytes from and close.
     */
    static FileChannel openVerified(Path directory, Part p, long size, String manifest) throws IOException {
        attributes(directory, p, manifest);
        FileChannel channel = FileChannel.open(directory.resolve(p.filename()), StandardOpenOption.READ,
                LinkOption.NOFOLLOW_LINKS);
        try {
            MessageDigest sha1 = sha1();
            ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
            long done = 0;
            while (done < size) {
                buffer.clear().limit((int) Math.min(BUFFER, size - done));
                int n = channel.read(buffer, done);
                if (n < 0) {
                    throw BundleException.invalid(BundleException.INVALID_PART, manifest + ": part " + p.index()
                            + " (" + p.filename() + ") ended after " + done + " of " + size + " bytes (changed while read)");
                }
                sha1.update(buffer.array(), 0, n);
                done += n;
            }
            checkDigest(p, sha1, size, manifest);
            channel.position(0);
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Throws when {@code sha1} (over {@code bytes} bytes of part {@code p}) is not the manifest's digest. */
    static void checkDigest(Part p, MessageDigest sha1, long bytes, String manifest) {
        String actual = BundleCrypto.HEX.formatHex(sha1.digest());
        if (!actual.equals(p.digest())) {
            throw BundleException.invalid(BundleException.INVALID_PART, manifest + ": part " + p.index() + " ("
                    + p.filename() + ", " + bytes + " bytes) has SHA-1 " + actual + ", the manifest says "
                    + p.digest() + " (tampered or damaged part)");
        }
    }

    static MessageDigest sha1() {
        try {
            return MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is always available", e);
        }
    }

    /**
     * Copies the parts of {@code manifest}'s image from {@code sourceDirectory} into
     * {@code targetDirectory}, each only after its checks pass, never replacing a file there; on
     * failure every part copied so far is deleted.
     */
    public static void copyVerified(BundleManifest manifest, Path sourceDirectory, Path targetDirectory, String source) {
        BundleManifest.Image image = manifest.image();
        long[] sizes = checkFiles(sourceDirectory, image, source);
        List<Path> copied = new ArrayList<>();
        boolean ok = false;
        try {
            for (Part p : image.parts()) {
                Path target = targetDirectory.resolve(p.filename());
                try (FileChannel in = openVerified(sourceDirectory, p, sizes[p.index()], source);
                     FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    copied.add(target);
                    long done = 0;
                    while (done < sizes[p.index()]) {
                        long n = in.transferTo(done, sizes[p.index()] - done, out);
                        if (n <= 0) {
                            throw BundleException.invalid(BundleException.INVALID_PART, source + ": part " + p.index()
                                    + " (" + p.filename() + ") shrank while it was copied");
                        }
                        done += n;
                    }
                } catch (FileAlreadyExistsException e) {
                    throw BundleException.invalid(BundleException.INVALID_PART, source + ": part " + p.index() + " ("
                            + p.filename() + ") is named twice or already in " + targetDirectory);
                }
                // The copy is what will be used: check it, not the source that could change under us.
                try (FileChannel check = openVerified(targetDirectory, p, sizes[p.index()], source)) {
                    if (check.size() != sizes[p.index()]) {
                        throw BundleException.invalid(BundleException.INVALID_PART, source + ": part " + p.index()
                                + " (" + p.filename() + ") changed size while it was copied");
                    }
                }
            }
            ok = true;
        } catch (IOException e) {
            throw BundleException.io("copying the parts of " + source, e);
        } finally {
            if (!ok) {
                copied.forEach(PartWriter::deleteQuietly);
            }
        }
    }
}
