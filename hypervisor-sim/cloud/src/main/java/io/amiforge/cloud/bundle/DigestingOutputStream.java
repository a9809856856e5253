package io.amiforge.cloud.bundle;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** Passes bytes through and keeps their SHA-1 and count (the manifest's image digest). */
final class DigestingOutputStream extends FilterOutputStream {

    private final MessageDigest sha1;
    private long count;

    DigestingOutputStream(OutputStream out) {
        super(out);
        try {
            sha1 = MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is always available", e);
        }
    }

    @Override
    public void write(int b) throws IOException {
        sha1.update((byte) b);
        count++;
        out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        sha1.update(b, off, len);
        count += len;
        out.write(b, off, len);
    }

    /** The hex SHA-1 of everything written; call once, at the end. */
    String hexDigest() {
        return BundleCrypto.HEX.formatHex(sha1.digest());
    }

    long count() {
        return count;
    }
}
