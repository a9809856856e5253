package io.amiforge.cloud.bundle;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Passes bytes through and keeps their SHA-1 and count (to check the manifest's image digest).
 * Reads fill the caller's buffer unless the end is reached: commons-compress 1.28 reads GNU
 * sparse tar entries wrongly ("Truncated TAR archive") from a stream that returns short reads,
 * as {@code GZIPInputStream} does.
 */
final class DigestingInputStream extends FilterInputStream {

    private final MessageDigest sha1;
    private long count;

    DigestingInputStream(InputStream in) {
        super(in);
        try {
            sha1 = MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is always available", e);
        }
    }

    @Override
    public int read() throws IOException {
        int b = in.read();
        if (b >= 0) {
            sha1.update((byte) b);
            count++;
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int total = 0;
        while (total < len) {
            int n = in.read(b, off + total, len - total);
            if (n < 0) {
                break;
            }
            total += n;
        }
        if (total == 0 && len > 0) {
            return -1;
        }
        sha1.update(b, off, total);
        count += total;
        return total;
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] buffer = new byte[(int) Math.min(n, 64 * 1024)];
        long skipped = 0;
        while (skipped < n) {
            int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
            if (r < 0) {
                break;
            }
            skipped += r;
        }
        return skipped;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    /** Reads to the end of the stream (so the digest covers all of it). */
    void drain() throws IOException {
        byte[] buffer = new byte[64 * 1024];
        while (read(buffer, 0, buffer.length) >= 0) {
            // digest only
        }
    }

    String hexDigest() {
        return BundleCrypto.HEX.formatHex(sha1.digest());
    }

    long count() {
        return count;
    }
}
