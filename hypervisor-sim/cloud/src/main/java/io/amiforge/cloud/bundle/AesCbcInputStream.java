package io.amiforge.cloud.bundle;

import java.io.IOException;
import java.io.InputStream;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.ShortBufferException;

/**
 * Decrypts AES-128-CBC with PKCS#5 padding from {@code in}. Unlike {@code CipherInputStream} it
 * reports a bad final block (wrong key, truncated or damaged data) as a {@link BundleException}
 * instead of swallowing it.
 */
final class AesCbcInputStream extends InputStream {

    private final InputStream in;
    private final Cipher cipher;
    private final String source;
    private final byte[] encrypted = new byte[128 * 1024];
    private final byte[] plain = new byte[128 * 1024 + 32];
    private int position;
    private int limit;
    private boolean eof;

    AesCbcInputStream(InputStream in, byte[] key, byte[] iv, String source) {
        this.in = in;
        this.cipher = BundleCrypto.aes(Cipher.DECRYPT_MODE, key, iv);
        this.source = source;
    }

    @Override
    public int read() throws IOException {
        if (!fill()) {
            return -1;
        }
        return plain[position++] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (!fill()) {
            return -1;
        }
        int n = Math.min(len, limit - position);
        System.arraycopy(plain, position, b, off, n);
        position += n;
        return n;
    }

    private boolean fill() throws IOException {
        while (position == limit) {
            if (eof) {
                return false;
            }
            int n = in.read(encrypted, 0, encrypted.length);
            try {
                position = 0;
                if (n < 0) {
                    eof = true;
                    limit = cipher.doFinal(plain, 0);
                } else {
                    limit = cipher.update(encrypted, 0, n, plain, 0);
                }
            } catch (BadPaddingException | IllegalBlockSizeException e) {
                throw BundleException.invalid(BundleException.INVALID_BUNDLE, source
                        + ": the decrypted data ends with invalid AES padding (wrong key or IV, or truncated parts): "
                        + e.getMessage(), e);
            } catch (ShortBufferException e) {
                throw new IllegalStateException("output buffer is input + 32", e);
            }
        }
        return true;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
