package io.amiforge.cloud.bundle;

import io.amiforge.cloud.bundle.BundleManifest.Part;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;

/**
 * The concatenation of a bundle's parts, in manifest order, read through {@link BundleParts}:
 * each part is checked (regular file, plain name) and its SHA-1 verified before its first byte
 * is returned, and exactly the size it had when the parts were checked is read, no further.
 * Its SHA-1 is computed again while it streams, so a part changed in place between the two
 * reads fails at its end.
 */
final class PartsInputStream extends InputStream {

    private final Path directory;
    private final List<Part> parts;
    private final long[] sizes;
    private final String manifest;
    private final MessageDigest sha1 = BundleParts.sha1();
    private int index = -1;
    private FileChannel channel;
    private long partBytes;
    private long total;
    private ByteBuffer wrapped = ByteBuffer.allocate(0);

    /** Streams {@code image}'s parts from {@code directory}; their files are checked first ({@link BundleParts#checkFiles}). */
    PartsInputStream(Path directory, BundleManifest.Image image, String manifest) {
        this.directory = directory;
        this.parts = image.parts();
        this.manifest = manifest;
        this.sizes = BundleParts.checkFiles(directory, image, manifest);
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
            long left = sizes[index] - partBytes;
            if (left > 0) {
                if (wrapped.array() != b) {
                    wrapped = ByteBuffer.wrap(b);
                }
                wrapped.limit(off + (int) Math.min(len, left)).position(off);
                int n = channel.read(wrapped);
                if (n > 0) {
                    sha1.update(b, off, n);
                    partBytes += n;
                    total += n;
                    return n;
                }
                if (n < 0) {
                    throw BundleException.invalid(BundleException.INVALID_PART, manifest + ": part " + index + " ("
                            + parts.get(index).filename() + ") ended after " + partBytes + " of " + sizes[index]
                            + " bytes (changed while read)");
                }
                continue;
            }
            finishPart();
        }
    }

    private boolean next() throws IOException {
        if (index + 1 >= parts.size()) {
            return false;
        }
        index++;
        channel = BundleParts.openVerified(directory, parts.get(index), sizes[index], manifest);
        partBytes = 0;
        sha1.reset();
        return true;
    }

    private void finishPart() throws IOException {
        channel.close();
        channel = null;
        BundleParts.checkDigest(parts.get(index), sha1, partBytes, manifest);
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
