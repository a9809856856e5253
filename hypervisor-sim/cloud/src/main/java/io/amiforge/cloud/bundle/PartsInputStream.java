package io.amiforge.cloud.bundle;

import io.amiforge.cloud.bundle.BundleManifest.Part;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * The concatenation of a bundle's parts, in manifest order, each checked against its SHA-1 when
 * its last byte has been read: a mismatch throws a {@link BundleException} naming the part
 * before any byte after it is returned. A missing part fails when it is reached.
 */
final class PartsInputStream extends InputStream {

    private final Path directory;
    private final List<Part> parts;
    private final String manifest;
    private final MessageDigest sha1;
    private int index = -1;
    private FileChannel channel;
    private long partBytes;
    private long total;
    private ByteBuffer wrapped = ByteBuffer.allocate(0);

    PartsInputStream(Path directory, List<Part> parts, String manifest) {
        this.directory = directory;
        this.parts = parts;
        this.manifest = manifest;
        try {
            sha1 = MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is always available", e);
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (true) {
            if (channel == null && !next()) {
                return -1;
            }
            if (wrapped.array() != b) {
                wrapped = ByteBuffer.wrap(b);
            }
            wrapped.limit(off + len).position(off);
            int n = channel.read(wrapped);
            if (n > 0) {
                sha1.update(b, off, n);
                partBytes += n;
                total += n;
                return n;
            }
            finishPart();
        }
    }

    private boolean next() throws IOException {
        if (index + 1 >= parts.size()) {
            return false;
        }
        index++;
        Part part = parts.get(index);
        Path file = directory.resolve(part.filename());
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw BundleException.invalid(BundleException.INVALID_PART, manifest + ": part " + index + " ("
                    + part.filename() + ") is missing: no such file " + file);
        }
        partBytes = 0;
        sha1.reset();
        return true;
    }

    private void finishPart() throws IOException {
        channel.close();
        channel = null;
        Part part = parts.get(index);
        String actual = BundleCrypto.HEX.formatHex(sha1.digest());
        if (!actual.equals(part.digest())) {
            throw BundleException.invalid(BundleException.INVALID_PART, manifest + ": part " + index + " ("
                    + part.filename() + ", " + partBytes + " bytes) has SHA-1 " + actual + ", the manifest says "
                    + part.digest() + " (tampered or damaged part)");
        }
    }

    /** Bytes read over all parts so far. */
    long total() {
        return total;
    }

    @Override
    public void close() throws IOException {
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }
}
